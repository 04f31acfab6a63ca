package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.steps.Migration;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.steps.Steps;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate migrate FILE}: the steps the command file's mode asks for (see
 * {@link Steps}): the schema; with {@code snapshot only} the data; with neither, a live migration
 * that streams changes from the bulk load's slot until the cutover.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Runs the migration the command file describes: `schema only`, a `snapshot only` bulk load, or (with neither) a live migration that streams changes until `citus-migrate cutover`.")
final class MigrateCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Option(names = "--rehearsal",
            description = "the target is plain PostgreSQL: create the rewritten schema (and load it) and print the distribution calls without running them")
    boolean rehearsal;

    @CommandLine.Option(names = "--snapshot-only", description = "copy the data once and stop (the same as WITH snapshot only)")
    boolean snapshotOnly;

    @CommandLine.Option(names = "--resume",
            description = "live migration: go on from where an interrupted run got to (streaming from its slot, finishing its cutover, or starting over when its bulk load did not finish)")
    boolean resume;

    @Override
    public Integer call() {
        PrintWriter out = in.out();
        LoadCommand cmd = in.load();
        MigrationSettings settings = MigrationSettings.of(in.file, cmd, rehearsal, snapshotOnly, resume);
        if (resume && !settings.live()) throw new UserError("--resume is for a live migration (no `schema only`, no `snapshot only`)");
        if (settings.viaDebezium() && rehearsal) throw new UserError("--rehearsal copies with snapshot method 'copy' only");
        if (settings.live() && !resume) {
            out.println("a live migration: the bulk load, then streaming the source's changes until `citus-migrate cutover " + in.file
                    + "` (to load once and exit, as pgloader does: `citus-migrate " + in.file + "`)");
            out.flush();
        }
        Session s = Session.open(cmd);
        return Steps.run(new Migration(settings, s.catalog(), s.plan(), out, in.err())) ? Main.OK : Main.FAILED;
    }
}

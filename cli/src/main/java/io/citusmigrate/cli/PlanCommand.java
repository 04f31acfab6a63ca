package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.OrphanReport;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code citus-migrate plan FILE [--json]}: prints the plan; exits 1 when Citus would reject it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Reads the source schema and prints the distribution plan. Touches nothing.")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Session s = in.session();
        LoadCommand cmd = s.command();
        List<OrphanReport> orphans;
        io.citusmigrate.stream.LiveRequirements liveNeeds;
        try (Connection source = Databases.connect("source", cmd.source())) {
            // the rows without a tenant the bulk load would meet; what a live migration needs of the source
            orphans = s.plan().ok() ? BulkLoader.orphans(source, BulkLoader.projections(s.plan()), Databases.hasRecordHash(source), true) : List.of();
            liveNeeds = loadsOnly(cmd) ? null : io.citusmigrate.stream.LiveRequirements.read(source);
        } catch (SQLException e) {
            throw new UserError("reading the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
        PlanReport report = PlanReport.of(cmd, s.plan(), orphans, liveNeeds);
        if (json.on) {
            in.printJson(report);
        } else {
            report.print(in.out());
            in.out().flush();
        }
        return s.plan().ok() ? Main.OK : Main.FAILED;
    }

    /** A file that loads and exits (schema or snapshot only): no live migration to check the source for. */
    private static boolean loadsOnly(LoadCommand cmd) {
        return cmd.options().flag(io.citusmigrate.load.Option.SNAPSHOT_ONLY) || cmd.options().flag(io.citusmigrate.load.Option.SCHEMA_ONLY);
    }
}

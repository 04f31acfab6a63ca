package io.citusmigrate.cli;

import io.citusmigrate.load.CommandLineClauses;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.load.Position;
import io.citusmigrate.steps.Migration;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.steps.Steps;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code citus-migrate FILE...}: pgloader's own way, each command file loaded once and the
 * command exits: schema, data, keys, sequences, verification (a bulk load; `schema only` files
 * create the schema only), then the summary table. pgloader's options for a `load database`
 * mean what they mean there.
 */
final class LoadFiles {
    @CommandLine.Option(names = "--dry-run", description = "check each command file: it parses, both databases answer, the plan can work; write nothing")
    boolean dryRun;

    @CommandLine.Option(names = {"-q", "--quiet"}, description = "print only errors, warnings and the summary")
    boolean quiet;

    @CommandLine.Option(names = {"-S", "--summary"}, paramLabel = "FILE", description = "also write the summary table to FILE")
    Path summary;

    @CommandLine.Option(names = "--with", paramLabel = "OPTION", description = "a WITH option, as in the command file, over the file's own")
    List<String> with = new ArrayList<>();

    @CommandLine.Option(names = "--set", paramLabel = "NAME=VALUE", description = "a session setting for the target, as SET in the command file")
    List<String> set = new ArrayList<>();

    @CommandLine.Option(names = "--cast", paramLabel = "RULE", description = "a CAST rule, as in the command file, tried before the file's own")
    List<String> cast = new ArrayList<>();

    @CommandLine.Option(names = "--before", paramLabel = "FILE", description = "SQL to run on the target before the load, as BEFORE LOAD DO")
    Path before;

    @CommandLine.Option(names = "--after", paramLabel = "FILE", description = "SQL to run on the target after the load, as AFTER LOAD DO")
    Path after;

    @CommandLine.Option(names = "--on-error-stop", description = "stop at the first row the target refuses, over the file's `on error resume next`")
    boolean onErrorStop;

    /** Loads each file in turn; the exit status is the first failure's, or success. */
    int run(List<Path> files, PrintWriter out, PrintWriter err) {
        PrintWriter console = quiet ? new PrintWriter(PrintWriter.nullWriter()) : out;
        int status = Main.OK;
        for (Path file : files) {
            LoadCommand cmd = amend(Session.load(file, err));
            Session s = Session.open(cmd);
            if (dryRun) {
                status = Math.max(status, dryRun(file, cmd, s, out, err));
                continue;
            }
            MigrationSettings settings = MigrationSettings.of(file, cmd, false, !cmd.options().flag(io.citusmigrate.load.Option.SCHEMA_ONLY), false);
            PrintWriter table = summaryWriter(out);
            boolean ok = Steps.run(new Migration(settings, s.catalog(), s.plan(), console, err), table);
            table.flush();
            if (!ok && status == Main.OK) status = Main.FAILED;
        }
        return status;
    }

    /** The file's clauses with the command line's over them. */
    private LoadCommand amend(LoadCommand cmd) {
        List<String> options = new ArrayList<>(with);
        if (onErrorStop) options.add("on error stop");
        CommandLineClauses c = new CommandLineClauses().with(options).set(set).cast(cast);
        if (before != null) c.before(read(before), new Position(before.toString(), 1, 1));
        if (after != null) c.after(read(after), new Position(after.toString(), 1, 1));
        return c.applyTo(cmd, System::getenv);
    }

    private int dryRun(Path file, LoadCommand cmd, Session s, PrintWriter out, PrintWriter err) {
        // reached: Databases.target names the database and why when it is not
        io.citusmigrate.db.Databases.onTarget(cmd, target -> null);
        if (s.refused(err)) return Main.FAILED;
        long tables = s.plan().tables().stream().filter(t -> !t.isPartition()).count();
        out.println(file + ": the command file parses, the source " + cmd.source() + " and the target " + cmd.target()
                + " answer, and the plan can work (" + tables + " tables); nothing was written (--dry-run)");
        out.flush();
        return Main.OK;
    }

    /** Where the summary table goes: the console, and the --summary file too. */
    private PrintWriter summaryWriter(PrintWriter out) {
        if (summary == null) return out;
        try {
            PrintWriter file = new PrintWriter(Files.newBufferedWriter(summary, StandardCharsets.UTF_8));
            return new PrintWriter(new java.io.Writer() {
                @Override
                public void write(char[] b, int off, int len) {
                    out.write(b, off, len);
                    file.write(b, off, len);
                }

                @Override
                public void flush() {
                    out.flush();
                    file.flush();
                }

                @Override
                public void close() {
                    flush();
                    file.close();
                }
            });
        } catch (IOException e) {
            throw new io.citusmigrate.BadInput("cannot write the summary file " + summary + ": " + e.getMessage());
        }
    }

    private static String read(Path sql) {
        try {
            return Files.readString(sql, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new io.citusmigrate.BadInput("cannot read " + sql + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.TablePlan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate migrate FILE}: plans, then creates the schema on the target in the order
 * Citus accepts. This version runs {@code with schema only} migrations; data steps come later.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Runs the migration the command file describes (this version: the schema, `with schema only`).")
final class MigrateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the pgloader-style LOAD DATABASE command file")
    Path file;

    @CommandLine.Option(names = "--rehearsal",
            description = "the target is plain PostgreSQL: create the rewritten schema and print the distribution calls without running them")
    boolean rehearsal;

    @CommandLine.Option(names = "--snapshot-only", description = "copy the data once and stop (same as WITH snapshot only; not available yet)")
    boolean snapshotOnly;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        if (!cmd.options().flag(Option.SCHEMA_ONLY)) {
            throw new UserError("this version migrates the schema only: add `with schema only` to " + file
                    + " (data loading and streaming are not available yet)");
        }
        long t0 = System.nanoTime();
        Session s = Session.open(cmd);
        if (!s.plan().ok()) {
            err.println("The plan cannot work on Citus; nothing was changed on the target:");
            s.plan().errors().forEach(e -> err.println("  " + e));
            err.flush();
            return Main.FAILED;
        }
        s.plan().warnings().forEach(w -> err.println(w));
        err.flush();
        try (Connection target = Databases.target(cmd)) {
            checkCitus(cmd, target, out);
            List<Statement> script = SchemaScript.of(s.plan(), cmd.options());
            SchemaCreator creator = new SchemaCreator(target, line -> {
                out.println(line);
                out.flush();
            });
            if (!cmd.options().flag(Option.CREATE_TABLES)) requireTables(cmd, s, target);
            for (LoadCommand.SqlBlock b : cmd.beforeLoad()) creator.execute("BEFORE LOAD DO block at " + b.at(), b.sql());
            step(out, "schema", creator.run(script, EnumSet.of(Step.DROP, Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES), false));
            step(out, "distribution", creator.run(script, EnumSet.of(Step.DISTRIBUTE), rehearsal));
            for (LoadCommand.SqlBlock b : cmd.afterCreateSchema()) creator.execute("AFTER CREATE SCHEMA DO block at " + b.at(), b.sql());
            step(out, "keys, indexes and foreign keys", creator.run(script, EnumSet.of(Step.KEYS, Step.INDEXES, Step.FOREIGN_KEYS), false));
            step(out, "sequence owners, comments and views", creator.run(script, EnumSet.of(Step.POST_DATA), false));
            for (LoadCommand.SqlBlock b : cmd.afterLoad()) creator.execute("AFTER LOAD DO block at " + b.at(), b.sql());
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
        long dist = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.DISTRIBUTED).count();
        long ref = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.REFERENCE).count();
        long local = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.LOCAL).count();
        out.printf("Schema %s on %s: %d distributed, %d reference, %d local tables in %.1f s%n",
                rehearsal ? "rehearsed" : "created", cmd.target(), dist, ref, local, (System.nanoTime() - t0) / 1e9);
        out.flush();
        return Main.OK;
    }

    private void checkCitus(LoadCommand cmd, Connection target, PrintWriter out) throws SQLException {
        var version = Databases.citusVersion(target);
        if (version.isEmpty() && !rehearsal) {
            throw new UserError("the target database " + cmd.target() + " has no citus extension: run CREATE EXTENSION citus there,"
                    + " or pass --rehearsal to create the rewritten schema on plain PostgreSQL");
        }
        if (version.isPresent()) out.println("target " + cmd.target() + ": Citus " + version.get() + (rehearsal ? " (rehearsal)" : ""));
        else out.println("target " + cmd.target() + ": plain PostgreSQL (rehearsal: distribution calls are printed, not run)");
        out.flush();
    }

    /** With `create no tables` the tables must already be there. */
    private static void requireTables(LoadCommand cmd, Session s, Connection target) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            for (TablePlan t : s.plan().tables()) {
                ps.setString(1, t.target().sql());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new UserError("`create no tables` is set but table " + t.target() + " does not exist on the target " + cmd.target());
                    }
                }
            }
        }
    }

    private static void step(PrintWriter out, String name, int statements) {
        out.println("  " + name + ": " + statements + " statements");
        out.flush();
    }
}

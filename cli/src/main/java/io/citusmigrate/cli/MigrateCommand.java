package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.Checksum;
import io.citusmigrate.copy.SequenceReset;
import io.citusmigrate.copy.SourceSnapshot;
import io.citusmigrate.copy.TableResult;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.verify.Verifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * {@code citus-migrate migrate FILE}: the schema, and with {@code snapshot only} the data, in
 * these steps: schema, data, keys and indexes and foreign keys, sequences, verification.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Runs the migration the command file describes: `schema only`, or a `snapshot only` bulk load.")
final class MigrateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the pgloader-style LOAD DATABASE command file")
    Path file;

    @CommandLine.Option(names = "--rehearsal",
            description = "the target is plain PostgreSQL: create the rewritten schema (and load it) and print the distribution calls without running them")
    boolean rehearsal;

    @CommandLine.Option(names = "--snapshot-only", description = "copy the data once and stop (the same as WITH snapshot only)")
    boolean snapshotOnly;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, Double> stepSeconds = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        boolean schemaOnly = cmd.options().flag(Option.SCHEMA_ONLY);
        boolean bulk = !schemaOnly && (snapshotOnly || cmd.options().flag(Option.SNAPSHOT_ONLY));
        if (!schemaOnly && !bulk) {
            throw new UserError("a live migration (streaming until cutover) is not available yet: add `with snapshot only`"
                    + " (or pass --snapshot-only) for a one-shot bulk load, or `with schema only`");
        }
        if (bulk && "debezium".equals(cmd.options().string(Option.SNAPSHOT_METHOD))) {
            throw new UserError("snapshot method 'debezium' is not available yet: use snapshot method = 'copy'");
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

        BulkLoader loader = new BulkLoader(s.plan(), cmd, ProgressReporter.forConsole(out), line -> {
            out.println(line);
            out.flush();
        });
        SourceSnapshot snapshot = null;
        List<TableResult> results = List.of();
        List<Verifier.TableCheck> checks = List.of();
        try {
            BulkLoader.Prepared prep = null;
            if (bulk) {
                long t = System.nanoTime();
                snapshot = SourceSnapshot.open(cmd.source(), slotName(cmd), true);
                out.println("source snapshot " + snapshot.name() + (snapshot.slot() != null
                        ? " exported by temporary slot " + snapshot.slot() + " at " + snapshot.consistentPoint() : ""));
                prep = loader.prepare(snapshot); // orphans stop the run here, before the target is touched
                stepSeconds.put("snapshot and orphan check", secs(t));
            }
            try (Connection target = Databases.target(cmd)) {
                checkCitus(cmd, target, out);
                List<Statement> script = SchemaScript.of(s.plan(), cmd.options());
                SchemaCreator creator = new SchemaCreator(target, line -> {
                    out.println(line);
                    out.flush();
                });
                if (!cmd.options().flag(Option.CREATE_TABLES)) requireTables(cmd, s, target);
                for (LoadCommand.SqlBlock b : cmd.beforeLoad()) creator.execute("BEFORE LOAD DO block at " + b.at(), b.sql());
                long t = System.nanoTime();
                step(out, "schema", creator.run(script, EnumSet.of(Step.DROP, Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES), false));
                step(out, "distribution", creator.run(script, EnumSet.of(Step.DISTRIBUTE), rehearsal));
                stepSeconds.put("schema", secs(t));
                for (LoadCommand.SqlBlock b : cmd.afterCreateSchema()) creator.execute("AFTER CREATE SCHEMA DO block at " + b.at(), b.sql());

                CompletableFuture<Map<String, Checksum>> sourceSums = null;
                if (bulk) {
                    t = System.nanoTime();
                    if (cmd.options().flag(Option.TRUNCATE)) truncate(s, creator);
                    results = loader.load(prep);
                    stepSeconds.put("data", secs(t));
                    // the source is idle while the target builds keys: checksum its snapshot meanwhile
                    BulkLoader.Prepared p = prep;
                    sourceSums = CompletableFuture.supplyAsync(() -> loader.sourceChecksums(p, cmd.options().integer(Option.WORKERS)));
                }
                t = System.nanoTime();
                int parallel = cmd.options().integer(Option.MAX_PARALLEL_CREATE_INDEX);
                int keys = SchemaCreator.runParallel(script, EnumSet.of(Step.KEYS), parallel, () -> Databases.target(cmd));
                int indexes = SchemaCreator.runParallel(script, EnumSet.of(Step.INDEXES), parallel, () -> Databases.target(cmd));
                int fks = creator.run(script, EnumSet.of(Step.FOREIGN_KEYS), false);
                fks += SchemaCreator.runParallel(script, EnumSet.of(Step.VALIDATE), parallel, () -> Databases.target(cmd));
                step(out, "keys, indexes and foreign keys", keys + indexes + fks);
                step(out, "sequence owners, comments and views", creator.run(script, EnumSet.of(Step.POST_DATA), false));
                stepSeconds.put("keys, indexes and foreign keys", secs(t));

                if (bulk) {
                    t = System.nanoTime();
                    try (Connection source = Databases.connect("source", cmd.source())) {
                        if (cmd.options().flag(Option.RESET_SEQUENCES)) {
                            int n = SequenceReset.run(s.catalog(), s.plan(), source, target).size();
                            step(out, "sequences set to the source's values", n);
                        }
                        stepSeconds.put("sequences", secs(t));
                    }
                    // each table's checksum on the target against the source's in the snapshot
                    t = System.nanoTime();
                    BulkLoader.Prepared p = prep;
                    checks = Verifier.verifyLoaded(s.plan(), join(sourceSums), p.recordHash(), () -> loader.verifyingConnection(p),
                            cmd.options().integer(Option.WORKERS));
                    stepSeconds.put("verification", secs(t));
                }
                for (LoadCommand.SqlBlock b : cmd.afterLoad()) creator.execute("AFTER LOAD DO block at " + b.at(), b.sql());
            } catch (SQLException e) {
                throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
            }
        } finally {
            if (snapshot != null) snapshot.close();
        }

        if (bulk) {
            Summary.print(out, results, checks);
            stepSeconds.forEach((k, v) -> out.printf("  %-32s %8.1f s%n", k, v));
        }
        long dist = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.DISTRIBUTED).count();
        long ref = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.REFERENCE).count();
        long local = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.LOCAL).count();
        out.printf("%s on %s: %d distributed, %d reference, %d local tables in %.1f s%n",
                bulk ? "Bulk load " + (rehearsal ? "rehearsed" : "done") : "Schema " + (rehearsal ? "rehearsed" : "created"),
                cmd.target(), dist, ref, local, (System.nanoTime() - t0) / 1e9);
        out.flush();
        List<Verifier.TableCheck> bad = checks.stream().filter(c -> !c.ok()).toList();
        if (!bad.isEmpty()) {
            bad.forEach(c -> err.println("verification failed: " + c.table() + ": " + c.problem() + ", e.g. key " + c.sampleKey()));
            err.flush();
            return Main.FAILED;
        }
        return Main.OK;
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    static String slotName(LoadCommand cmd) {
        String given = cmd.options().string(Option.SLOT_NAME);
        if (given != null) return given;
        String s = ("citus_migrate_" + cmd.target().database()).toLowerCase().replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void truncate(Session s, SchemaCreator creator) {
        for (TablePlan t : s.plan().tables()) {
            if (!t.isPartition()) creator.execute("truncate of " + t.target(), "TRUNCATE " + t.target().sql() + " CASCADE");
        }
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

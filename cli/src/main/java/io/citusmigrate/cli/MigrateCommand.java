package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.crash.CrashPoints;
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
import io.citusmigrate.live.BulkLoadRecord;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.LookupIndexes;
import io.citusmigrate.live.PlanFingerprint;
import io.citusmigrate.live.StreamedTypes;
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
 * these steps: schema, data, keys and indexes and foreign keys, sequences, verification. Without
 * either, a live migration: the same bulk load from a persistent slot's snapshot, then the
 * changes streamed from that slot until the cutover.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Runs the migration the command file describes: `schema only`, a `snapshot only` bulk load, or (with neither) a live migration that streams changes until `citus-migrate cutover`.")
final class MigrateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the pgloader-style LOAD DATABASE command file")
    Path file;

    @CommandLine.Option(names = "--rehearsal",
            description = "the target is plain PostgreSQL: create the rewritten schema (and load it) and print the distribution calls without running them")
    boolean rehearsal;

    @CommandLine.Option(names = "--snapshot-only", description = "copy the data once and stop (the same as WITH snapshot only)")
    boolean snapshotOnly;

    @CommandLine.Option(names = "--resume",
            description = "live migration: stream again from the slot of an interrupted run (no schema, no bulk load)")
    boolean resume;

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
        boolean live = !schemaOnly && !snapshotOnly && !cmd.options().flag(Option.SNAPSHOT_ONLY);
        boolean bulk = !schemaOnly; // a live migration starts with the bulk load
        if (resume && !live) throw new UserError("--resume is for a live migration (no `schema only`, no `snapshot only`)");
        // the data: COPY from an exported snapshot, or Debezium's own snapshot through the sink
        boolean viaDebezium = bulk && "debezium".equals(cmd.options().string(Option.SNAPSHOT_METHOD));
        boolean copy = bulk && !viaDebezium;
        if (viaDebezium && rehearsal) throw new UserError("--rehearsal copies with snapshot method 'copy' only");
        long t0 = System.nanoTime();
        Session s = Session.open(cmd);
        String slot = slotName(cmd);
        String publication = LiveSource.publicationName(cmd.options().string(Option.PUBLICATION_NAME), slot);
        BulkLoadRecord.State startOver = null;
        if (!s.plan().ok()) {
            err.println("The plan cannot work on Citus; nothing was changed on the target:");
            s.plan().errors().forEach(e -> err.println("  " + e));
            err.flush();
            return Main.FAILED;
        }
        s.plan().warnings().forEach(w -> err.println(w));
        err.flush();
        if (live || viaDebezium) {
            if (StreamedTypes.refuse(s.plan(), s.catalog(), viaDebezium, err, "nothing was changed on the target")) return Main.FAILED;
            try (Connection source = Databases.connect("source", cmd.source())) {
                boolean exists = LiveSource.slotExists(source, slot);
                if (resume) {
                    if (!exists) throw new UserError("--resume: the source has no slot " + slot + " to stream from");
                    if (cutoverDone(cmd, slot)) {
                        out.println("--resume: the cutover of the interrupted run had answered; what comes after it is done now");
                        out.flush();
                        return new LiveRun(cmd, s, slot, publication, file, out, err).afterCutover();
                    }
                    refuseChangedPlan(cmd, s, slot);
                    startOver = copy ? loadState(cmd, slot) : BulkLoadRecord.State.FINISHED;
                    if (startOver == BulkLoadRecord.State.FINISHED) {
                        // Debezium's snapshot starts over (an interrupted one is not resumed): writes are idempotent
                        return new LiveRun(cmd, s, slot, publication, file, out, err).streamUntilCutover(viaDebezium ? "initial" : "no_data");
                    }
                    sayStartOver(out, cmd, slot, publication, startOver);
                    LiveSource.drop(source, slot, publication);
                    exists = false;
                }
                if (exists) {
                    throw new UserError("the source already has the replication slot " + slot + ": a live migration is under way or"
                            + " was interrupted. Stream from it again with `citus-migrate migrate " + file + " --resume`, or remove it"
                            + " with `citus-migrate cleanup " + file + "` to start over");
                }
                LiveSource.createPublication(source, publication, s.plan());
            } catch (SQLException e) {
                throw new UserError("the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
            }
        }

        BulkLoader loader = new BulkLoader(s.plan(), cmd, ProgressReporter.forConsole(out), line -> {
            out.println(line);
            out.flush();
        });
        SourceSnapshot snapshot = null;
        String consistentPoint = null;
        List<TableResult> results = List.of();
        List<Verifier.TableCheck> checks = List.of();
        try {
            BulkLoader.Prepared prep = null;
            if (copy) {
                long t = System.nanoTime();
                // live: the slot stays, and streaming starts exactly where this snapshot ends
                snapshot = SourceSnapshot.open(cmd.source(), slot, !live);
                consistentPoint = String.valueOf(snapshot.consistentPoint());
                out.println("source snapshot " + snapshot.name() + (snapshot.slot() != null
                        ? " exported by " + (live ? "" : "temporary ") + "slot " + snapshot.slot() + " at " + snapshot.consistentPoint() : ""));
                CrashPoints.reach("bulk.after-snapshot");
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
                if (startOver == BulkLoadRecord.State.STARTED) dropPartialCopy(s, cmd, creator, out);
                // from here on the plan's tables on the target are this migration's: a rerun may drop them
                if (live) BulkLoadRecord.started(target, slot, PlanFingerprint.of(s.plan()));
                if (live) io.citusmigrate.live.CutoverTable.forget(target, slot);
                if (!cmd.options().flag(Option.CREATE_TABLES)) requireTables(cmd, s, target);
                for (LoadCommand.SqlBlock b : cmd.beforeLoad()) creator.execute("BEFORE LOAD DO block at " + b.at(), b.sql());
                long t = System.nanoTime();
                step(out, "schema", creator.run(script, EnumSet.of(Step.DROP, Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES), false));
                step(out, "distribution", creator.run(script, EnumSet.of(Step.DISTRIBUTE), rehearsal));
                stepSeconds.put("schema", secs(t));
                CrashPoints.reach("bulk.after-schema");
                for (LoadCommand.SqlBlock b : cmd.afterCreateSchema()) creator.execute("AFTER CREATE SCHEMA DO block at " + b.at(), b.sql());

                CompletableFuture<Map<String, Checksum>> sourceSums = null;
                if (copy) {
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
                int fks = 0;
                if (!live && !viaDebezium) { // a stream adds them after its snapshot or at the cutover (see stream)
                    fks = creator.run(script, EnumSet.of(Step.FOREIGN_KEYS), false);
                    fks += SchemaCreator.runParallel(script, EnumSet.of(Step.VALIDATE), parallel, () -> Databases.target(cmd));
                }
                step(out, "keys, indexes and foreign keys", keys + indexes + fks);
                CrashPoints.reach("bulk.after-keys");
                if (live || viaDebezium) step(out, "lookup indexes for streaming (dropped at the cutover)", LookupIndexes.create(target, s.plan()));
                step(out, "comments and views", creator.run(script, EnumSet.of(Step.POST_DATA), false));
                stepSeconds.put("keys, indexes and foreign keys", secs(t));

                if (copy) {
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
        } catch (RuntimeException e) {
            if (live || viaDebezium) {
                // nothing streams yet: a slot left behind would only hold WAL on the source
                if (snapshot != null) snapshot.close();
                snapshot = null;
                dropSlotAndPublication(cmd, slot, publication);
            }
            throw e;
        } finally {
            if (snapshot != null) snapshot.close();
        }

        if (viaDebezium && !live) return new LiveRun(cmd, s, slot, publication, file, out, err).snapshotThroughDebezium(t0);
        if (copy) {
            Summary.print(out, results, checks);
            stepSeconds.forEach((k, v) -> out.printf("  %-32s %8.1f s%n", k, v));
        }
        long dist = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.DISTRIBUTED).count();
        long ref = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.REFERENCE).count();
        long local = s.plan().tables().stream().filter(t -> !t.isPartition() && t.kind() == TablePlan.Kind.LOCAL).count();
        out.printf("%s on %s: %d distributed, %d reference, %d local tables in %.1f s%n",
                copy ? "Bulk load " + (rehearsal ? "rehearsed" : "done") : "Schema " + (rehearsal ? "rehearsed" : "created"),
                cmd.target(), dist, ref, local, (System.nanoTime() - t0) / 1e9);
        out.flush();
        List<Verifier.TableCheck> bad = checks.stream().filter(c -> !c.ok()).toList();
        if (!bad.isEmpty()) {
            bad.forEach(c -> err.println("verification failed: " + c.table() + ": " + c.problem() + ", e.g. key " + c.sampleKey()));
            err.flush();
            return Main.FAILED;
        }
        if (live && copy) {
            CrashPoints.reach("bulk.before-record"); // loaded and verified, not recorded yet
            try (Connection target = Databases.target(cmd)) {
                BulkLoadRecord.finished(target, slot, consistentPoint);
            } catch (SQLException e) {
                throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
            }
        }
        return live ? new LiveRun(cmd, s, slot, publication, file, out, err).streamUntilCutover(viaDebezium ? "initial" : "no_data") : Main.OK;
    }

    /** A rerun must plan what the interrupted run planned: its tables on the target are shaped for that plan. */
    private void refuseChangedPlan(LoadCommand cmd, Session s, String slot) {
        String was;
        try (Connection target = Databases.target(cmd)) {
            was = BulkLoadRecord.plan(target, slot);
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
        if (was == null) return;
        List<String> changes = PlanFingerprint.changes(was, PlanFingerprint.of(s.plan()));
        if (changes.isEmpty()) return;
        throw new UserError("--resume refused: the plan of " + file + " is not the one the interrupted run started with:\n  "
                + String.join("\n  ", changes) + "\nResume with the command file as it was, or start over: `citus-migrate cleanup "
                + file + "`, then `citus-migrate migrate " + file + "`");
    }

    private static boolean cutoverDone(LoadCommand cmd, String slot) {
        try (Connection target = Databases.target(cmd)) {
            return io.citusmigrate.live.CutoverTable.isDone(target, slot);
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
    }

    private static BulkLoadRecord.State loadState(LoadCommand cmd, String slot) {
        try (Connection target = Databases.target(cmd)) {
            return BulkLoadRecord.state(target, slot);
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
    }

    /**
     * Streaming onto a partial copy would leave the target short for good, and the snapshot the
     * copy read died with the run that opened it: the tables not copied yet cannot be read from
     * it any more. So the rerun starts over, and says so first.
     */
    private static void sayStartOver(PrintWriter out, LoadCommand cmd, String slot, String publication, BulkLoadRecord.State state) {
        out.println("--resume: the bulk load of the interrupted run did not finish, and the snapshot it read died with that run."
                + " Starting over: the slot " + slot + " and the publication " + publication + " are dropped and made again"
                + (state == BulkLoadRecord.State.STARTED ? "; the plan's tables on the target, which that run created and partly loaded,"
                + " are " + (create(cmd) ? "dropped and created again" : "emptied") : "")
                + "; then the bulk load runs from a new snapshot, and streaming follows from the new slot.");
        out.flush();
    }

    private static boolean create(LoadCommand cmd) {
        return cmd.options().flag(Option.CREATE_TABLES);
    }

    /** What an interrupted bulk load left on the target goes before its new start. */
    private static void dropPartialCopy(Session s, LoadCommand cmd, SchemaCreator creator, PrintWriter out) {
        if (create(cmd)) {
            int n = creator.run(SchemaScript.of(s.plan(), cmd.options().with(Option.INCLUDE_DROP, true)), EnumSet.of(Step.DROP), false);
            step(out, "the interrupted run's tables dropped", n);
        } else {
            truncate(s, creator); // `create no tables`: the tables are the user's, their rows the interrupted run's
            step(out, "the interrupted run's rows removed", (int) s.plan().tables().stream().filter(t -> !t.isPartition()).count());
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    private static void dropSlotAndPublication(LoadCommand cmd, String slot, String publication) {
        try (Connection source = Databases.connect("source", cmd.source())) {
            LiveSource.drop(source, slot, publication);
        } catch (SQLException | RuntimeException e) {
            // the run's own error is the one to report
        }
    }

    static String slotName(LoadCommand cmd) {
        String given = cmd.options().string(Option.SLOT_NAME);
        if (given != null) return given;
        String s = ("citus_migrate_" + cmd.target().database()).toLowerCase().replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    static double secs(long t0) {
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

    static void step(PrintWriter out, String name, int statements) {
        out.println("  " + name + ": " + statements + " statements");
        out.flush();
    }
}

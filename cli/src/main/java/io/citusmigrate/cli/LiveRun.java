package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.copy.SequenceReset;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.live.CutoverTable;
import io.citusmigrate.live.LiveProgress;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.LiveStream;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.verify.Verifier;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;

/** The streaming steps of `migrate`: until the cutover, or through Debezium's snapshot alone. */
final class LiveRun {
    private final LoadCommand cmd;
    private final Session s;
    private final String slot;
    private final String publication;
    private final Path file;
    private final PrintWriter out;
    private final PrintWriter err;

    LiveRun(LoadCommand cmd, Session s, String slot, String publication, Path file, PrintWriter out, PrintWriter err) {
        this.cmd = cmd;
        this.s = s;
        this.slot = slot;
        this.publication = publication;
        this.file = file;
        this.out = out;
        this.err = err;
    }

    /**
     * `snapshot only` with `snapshot method = 'debezium'`: Debezium's snapshot of the plan's tables
     * through the sink, then foreign keys, sequences and `verify`'s comparison (the source should
     * be quiet: there is no exported snapshot to compare with).
     */
    int snapshotThroughDebezium(long t0) {
        long rows;
        try (LiveStream stream = new LiveStream(cmd, s.plan(), s.catalog(), slot, publication, "initial")) {
            String request = java.util.UUID.randomUUID().toString();
            stream.answering(request::equals);
            stream.start();
            out.println("snapshot through Debezium (slot " + slot + ")");
            out.flush();
            // a marker right after the slot's start comes through once the whole snapshot has
            try (Connection source = Databases.connect("source", cmd.source())) {
                while (!LiveSource.slotExists(source, slot)) Thread.sleep(100);
                LiveSource.emitMarker(source, slot, request);
            } catch (SQLException e) {
                throw new UserError("the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
            }
            awaitMarker(stream, "snapshot", "snapshot: %d rows written");
            rows = stream.applied();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted during Debezium's snapshot");
        }
        List<Verifier.TableCheck> checks;
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            LiveSource.drop(source, slot, publication);
            io.citusmigrate.live.LookupIndexes.drop(target, s.plan());
            List<Statement> script = SchemaScript.of(s.plan(), cmd.options());
            SchemaCreator creator = new SchemaCreator(target, x -> { });
            int fks = creator.run(script, EnumSet.of(Step.FOREIGN_KEYS), false);
            fks += SchemaCreator.runParallel(script, EnumSet.of(Step.VALIDATE), cmd.options().integer(Option.MAX_PARALLEL_CREATE_INDEX),
                    () -> Databases.target(cmd));
            MigrateCommand.step(out, "foreign keys", fks);
            if (cmd.options().flag(Option.RESET_SEQUENCES)) MigrateCommand.step(out, "sequences set to the source's values",
                    SequenceReset.run(s.catalog(), s.plan(), source, target).size());
            for (LoadCommand.SqlBlock b : cmd.afterLoad()) creator.execute("AFTER LOAD DO block at " + b.at(), b.sql());
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
        checks = VerifyCommand.compare(cmd, s);
        out.printf("Bulk load through Debezium's snapshot done on %s: %d rows in %.1f s%n", cmd.target(), rows, (System.nanoTime() - t0) / 1e9);
        return VerifyCommand.report(out, err, checks);
    }

    /**
     * Streams the source's changes from the slot until the cutover marker has been applied, then
     * sets the sequences, answers `cutover`, and drops the slot and the publication.
     */
    int streamUntilCutover(String snapshotMode) {
        try (LiveStream stream = new LiveStream(cmd, s.plan(), s.catalog(), slot, publication, snapshotMode)) {
            stream.answering(this::waitedOn);
            stream.start();
            out.println("streaming changes from slot " + slot + ". To cut over: stop writes to the source, then run"
                    + " `citus-migrate cutover " + file + "`");
            out.flush();
            awaitMarker(stream, "streaming", "streaming: %d row changes applied");
            CrashPoints.reach("cutover.after-marker");
            try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
                int n = cmd.options().flag(Option.RESET_SEQUENCES) ? SequenceReset.run(s.catalog(), s.plan(), source, target).size() : 0;
                CrashPoints.reach("cutover.after-sequences");
                // Foreign keys: a batch of the stream may hold a child's change before its parent's,
                // so they come now. NOT VALID is instant and checks every new write; validating
                // the rows already there does not block writes and runs after the cutover. Those an
                // interrupted cutover made already are kept.
                List<Statement> script = SchemaScript.of(s.plan(), cmd.options());
                int fks = new SchemaCreator(target, line -> { }).runKeepingExisting(script, EnumSet.of(Step.FOREIGN_KEYS));
                CrashPoints.reach("cutover.after-foreign-keys");
                if (!CutoverTable.done(target, slot, stream.cutoverRequest(), stream.applied())) {
                    throw new UserError("the cutover gave up waiting just as the stream caught up: run `citus-migrate migrate " + file
                            + " --resume`, then `citus-migrate cutover " + file + "` again");
                }
                CrashPoints.reach("cutover.after-answer");
                stream.close(); // releases the slot before it is dropped
                out.println("cutover: " + stream.applied() + " row changes streamed, " + n + " sequences set to the source's, " + fks
                        + " foreign keys added. The target is ready: point the application at it.");
                out.flush();
            } catch (SQLException e) {
                throw new UserError("the cutover failed: " + Databases.oneLine(e, null));
            }
            return afterCutover();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while streaming: run `citus-migrate migrate " + file + " --resume` to go on");
        }
    }

    /** Whether a cutover waits on this request now (a marker read again after a crash may be of one given up). */
    private boolean waitedOn(String request) {
        try (Connection target = Databases.target(cmd)) {
            return request.equals(CutoverTable.pending(target, slot));
        } catch (SQLException e) {
            throw new UserError("the target database " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
    }

    /**
     * After the cutover's answer (the application does not wait for these): the lookup indexes,
     * the slot and the publication go, and the foreign keys are validated. A rerun after a crash
     * here does only this.
     */
    int afterCutover() {
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            io.citusmigrate.live.LookupIndexes.drop(target, s.plan());
            LiveSource.drop(source, slot, publication);
            out.println("slot " + slot + " and publication " + publication + " dropped");
            out.flush();
            long t = System.nanoTime();
            int validated = SchemaCreator.runParallel(SchemaScript.of(s.plan(), cmd.options()), EnumSet.of(Step.VALIDATE),
                    cmd.options().integer(Option.MAX_PARALLEL_CREATE_INDEX), () -> Databases.target(cmd));
            out.printf("foreign keys validated (%d, while the application writes) in %.1f s%n", validated, MigrateCommand.secs(t));
            out.flush();
            return Main.OK;
        } catch (SQLException e) {
            throw new UserError("after the cutover: " + Databases.oneLine(e, null));
        }
    }

    /**
     * Waits for the marker to be applied. Every second a heartbeat goes into the source's WAL and
     * the status (rate, lag) onto the target for `status` and `cutover`; every 10 seconds a line
     * says how far the stream is.
     */
    private void awaitMarker(LiveStream stream, String phase, String progress) throws InterruptedException {
        long reported = System.currentTimeMillis();
        Connection source = null;
        Connection target = null;
        boolean warned = false;
        try {
            while (!stream.awaitCutover(1000)) {
                LiveProgress.Status st = null;
                try {
                    if (source == null) {
                        source = Databases.connect("source", cmd.source());
                        LiveSource.writable(source);
                        target = Databases.target(cmd);
                    }
                    stream.progress().emit(source);
                    st = stream.progress().measure(slot, phase, stream.applied(), stream.rowsPerTable(), source);
                    LiveProgress.save(target, st);
                } catch (SQLException | RuntimeException e) {
                    if (!warned) err.println("warning: the lag cannot be measured ("
                            + (e instanceof SQLException q ? Databases.oneLine(q, null) : e.getMessage()) + "); streaming goes on");
                    warned = true;
                    close(source);
                    close(target);
                    source = null;
                    target = null;
                }
                if (System.currentTimeMillis() - reported >= 10_000) {
                    reported = System.currentTimeMillis();
                    out.println(String.format(progress, stream.applied()) + (st == null ? ""
                            : String.format(java.util.Locale.ROOT, ", %.0f/s; behind the source by %.1f s (%s)", st.rate(), st.lagSeconds(),
                            StatusCommand.bytes(st.lagBytes()))));
                    out.flush();
                }
            }
        } finally {
            close(source);
            close(target);
        }
    }

    private static void close(Connection c) {
        if (c != null) Databases.close(c);
    }
}

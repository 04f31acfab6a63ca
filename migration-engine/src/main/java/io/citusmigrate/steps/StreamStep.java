package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.cutover.Finish;
import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.stream.LiveStream;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.LookupIndexes;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The source's changes streamed from the slot (Debezium's embedded engine into the sink task)
 * until the marker of a cutover still waited on is applied; then the cutover: sequences, foreign
 * keys, the answer. Hands on the plan as the stream left it ({@link Streamed}).
 */
@Step.Makes(StreamStep.Streamed.class)
final class StreamStep implements Step {
    /** {@code no_data} after the bulk load took the snapshot from this slot; {@code initial} for Debezium's own snapshot. */
    private final String snapshotMode;

    StreamStep(String snapshotMode) {
        this.snapshotMode = snapshotMode;
    }

    /** The plan and catalog as the stream left them: a table created on the source while streaming is in them. */
    record Streamed(Plan plan, Catalog catalog) {}

    @Override
    public boolean run(Migration m, Outputs in) throws SQLException, InterruptedException {
        MigrationSettings s = m.settings;
        refuseLostSlot(m);
        if (s.lookupIndexesAtStreamStart()) {
            m.onTarget(target -> m.said("lookup indexes for streaming (dropped at the cutover)", LookupIndexes.create(target, m.plan)));
        }
        boolean rejectsSnapshot = "initial".equals(snapshotMode) && s.skipOrphans();
        if (rejectsSnapshot && !s.resume()) DebeziumSnapshotStep.clearRejects(m);
        try (LiveStream stream = new LiveStream(s.command(), m.plan, m.catalog, s.slot(), s.publication(), snapshotMode)) {
            stream.answering(request -> waitedOn(m, request));
            stream.onConnectionLost(m::say, 1000L * s.command().options().integer(io.citusmigrate.load.Option.RETRY_SECONDS));
            stream.start();
            m.say("streaming changes from slot " + s.slot() + ". To cut over: stop writes to the source, then run"
                    + " `citus-migrate cutover " + s.file() + "`");
            try {
                StreamWatch.untilMarker(m, stream, "streaming", "streaming: %d row changes applied");
            } catch (UserError e) {
                refuseLostSlot(m);
                if (!stream.resumable()) throw e;
                // what is on the target is consistent with the slot: a rerun goes on from there
                throw new UserError(e.getMessage() + ". Once that is fixed, go on with `citus-migrate migrate " + s.file() + " --resume`");
            }
            CrashPoints.reach("cutover.after-marker");
            try (Connection source = m.source(); Connection target = m.target()) {
                Streamed streamed = new Streamed(stream.plan(), stream.catalog());
                in.add(streamed);
                Finish.Done done = Finish.beforeAnswer(streamed.plan(), streamed.catalog(), m.script(streamed.plan()), s.resetSequences(), source, target);
                if (!CutoverTable.done(target, s.slot(), stream.cutoverRequest(), stream.applied())) {
                    throw new UserError("the cutover gave up waiting just as the stream caught up: run `citus-migrate migrate " + s.file()
                            + " --resume`, then `citus-migrate cutover " + s.file() + "` again");
                }
                CrashPoints.reach("cutover.after-answer");
                stream.close(); // releases the slot before it is dropped
                long truncates = stream.truncatesPerTable().values().stream().mapToLong(Long::longValue).sum();
                m.say("cutover: " + stream.applied() + " row changes streamed, " + (truncates > 0 ? truncates + " TRUNCATEs carried, " : "")
                        + done.phrase() + ". The target is ready: point the application at it.");
                if (rejectsSnapshot) DebeziumSnapshotStep.rejectedSaid(m);
            } catch (SQLException e) {
                throw new UserError("the cutover failed: " + io.citusmigrate.db.Databases.oneLine(e, null));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while streaming: run `citus-migrate migrate " + s.file() + " --resume` to go on");
        }
        return true;
    }

    /** A slot the source invalidated cannot be streamed from: the run stops saying how to start over. */
    private static void refuseLostSlot(Migration m) {
        try (Connection source = m.source()) {
            LiveSource.SlotHealth h = LiveSource.slotHealth(source, m.settings.slot());
            if (h != null && h.lost()) throw new UserError(LiveSource.SlotHealth.invalidated(m.settings.file().toString()));
        } catch (SQLException e) {
            // the source unreachable: the stream's own error says so
        }
    }

    /** Whether a cutover waits on this request now (a marker read again after a crash may be of one given up); if so, it is claimed. */
    private static boolean waitedOn(Migration m, String request) {
        return m.fromTarget(target -> CutoverTable.claim(target, m.settings.slot(), request));
    }
}

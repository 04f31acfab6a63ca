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
import java.util.List;

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
        if (s.tenantDatabases()) return streamEach(m, in);
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

    /**
     * Tenant databases consolidated: one stream per database (its own slot and sink), all at once
     * into the same target tables, each watched on a thread of its own. A cutover writes its
     * marker into every database; each stream stops at its own once the cutover is claimed
     * (under the migration's slot, as one), and when every stream has applied its marker the
     * cutover is finished once: sequences past the furthest of every database's, foreign keys,
     * the one answer. A stream that fails stops them all.
     */
    private boolean streamEach(Migration m, Outputs in) throws SQLException, InterruptedException {
        MigrationSettings s = m.settings;
        List<Migration> dbs = m.plan.tenantDatabases().stream().map(m::forDatabase).toList();
        for (Migration one : dbs) refuseLostSlot(one);
        if (s.lookupIndexesAtStreamStart()) {
            m.onTarget(target -> m.said("lookup indexes for streaming (dropped at the cutover)", LookupIndexes.create(target, m.plan)));
        }
        String startOver = "start over: `citus-migrate cleanup " + s.file() + "`, then `citus-migrate migrate " + s.file() + "`";
        List<LiveStream> streams = new java.util.ArrayList<>();
        // the streams decide schema changes rolled out to the databases on one plan
        java.util.concurrent.atomic.AtomicReference<io.citusmigrate.plan.Plan> whole = new java.util.concurrent.atomic.AtomicReference<>(m.plan);
        CutoverGate gate = new CutoverGate(m, dbs.size());
        java.util.concurrent.ExecutorService watchers = java.util.concurrent.Executors.newFixedThreadPool(dbs.size(), r -> {
            Thread t = new Thread(r, "citus-migrate-watch");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Migration one : dbs) {
                LiveStream stream = new LiveStream(one.settings.command(), one.plan, one.catalog, one.settings.slot(), one.settings.publication(),
                        snapshotMode);
                streams.add(stream);
                stream.consolidating(whole, one.settings.source().database());
                stream.answering(gate::arrive);
                stream.onConnectionLost(m::say, 1000L * s.command().options().integer(io.citusmigrate.load.Option.RETRY_SECONDS));
                stream.start();
            }
            m.say("streaming changes from " + dbs.size() + " tenant databases (slots " + String.join(", ", dbs.stream().map(o -> o.settings.slot()).toList())
                    + "). To cut over: stop writes to the source, then run `citus-migrate cutover " + s.file() + "`");
            java.util.concurrent.CompletionService<Void> watched = new java.util.concurrent.ExecutorCompletionService<>(watchers);
            for (int i = 0; i < dbs.size(); i++) {
                Migration one = dbs.get(i);
                LiveStream stream = streams.get(i);
                watched.submit(() -> {
                    StreamWatch.untilMarker(one, stream, "streaming", "streaming " + one.settings.source().database() + ": %d row changes applied");
                    return null;
                });
            }
            // the first stream to fail stops them all, whichever database's it is
            for (int i = 0; i < dbs.size(); i++) {
                try {
                    watched.take().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    // what is on the target is consistent with each slot: a rerun goes on from there
                    if (c instanceof UserError u) throw streams.stream().allMatch(LiveStream::resumable) ? new UserError(u.getMessage()
                            + ". Once that is fixed, go on with `citus-migrate migrate " + s.file() + " --resume`") : u;
                    if (c instanceof RuntimeException r) throw r;
                    throw new IllegalStateException(c);
                }
            }
            CrashPoints.reach("cutover.after-marker");
            String request = streams.get(0).cutoverRequest();
            if (streams.stream().anyMatch(x -> !request.equals(x.cutoverRequest()))) {
                throw new UserError("the tenant databases' streams stopped at the markers of different cutovers; " + startOver);
            }
            List<List<io.citusmigrate.copy.SequenceReset.Reset>> each = new java.util.ArrayList<>();
            try (Connection target = m.target()) {
                // large objects cannot join the target from several databases (their oids would collide): named, never dropped silently
                for (Migration one : dbs) {
                    try (Connection source = one.source()) {
                        long objects = io.citusmigrate.copy.LargeObjects.compare(source, target).sourceCount();
                        if (objects > 0) {
                            throw new UserError("the cutover stops: the tenant database " + one.settings.source().database() + " has " + objects
                                    + " large objects, which a consolidation of databases does not carry (their oids would collide); move them"
                                    + " into bytea columns, then `citus-migrate migrate " + s.file() + " --resume` and cut over again");
                        }
                    }
                }
                if (s.resetSequences()) {
                    for (Migration one : dbs) {
                        try (Connection source = one.source()) {
                            each.add(io.citusmigrate.copy.SequenceReset.read(one.catalog, one.plan, source, target));
                        }
                    }
                }
                in.add(new Streamed(whole.get(), m.catalog));
                Finish.Done done = Finish.beforeAnswer(whole.get(), m.script(whole.get()), io.citusmigrate.copy.SequenceReset.furthest(each), target);
                long applied = streams.stream().mapToLong(LiveStream::applied).sum();
                if (!CutoverTable.done(target, s.slot(), request, applied)) {
                    throw new UserError("the cutover gave up waiting just as the streams caught up: run `citus-migrate migrate " + s.file()
                            + " --resume`, then `citus-migrate cutover " + s.file() + "` again");
                }
                CrashPoints.reach("cutover.after-answer");
                streams.forEach(LiveStream::close); // releases the slots before they are dropped
                long truncates = streams.stream().flatMap(x -> x.truncatesPerTable().values().stream()).mapToLong(Long::longValue).sum();
                m.say("cutover: " + applied + " row changes streamed from " + dbs.size() + " tenant databases, "
                        + (truncates > 0 ? truncates + " TRUNCATEs carried, " : "") + done.phrase() + ". The target is ready: point the application at it.");
            } catch (SQLException e) {
                throw new UserError("the cutover failed: " + io.citusmigrate.db.Databases.oneLine(e, null));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while streaming: run `citus-migrate migrate " + s.file() + " --resume` to go on");
        } finally {
            watchers.shutdownNow();
            streams.forEach(LiveStream::close);
        }
        return true;
    }

    /**
     * Tenant databases: a cutover is taken on only when every database's stream has met its
     * marker. Until then each stream that has met it waits at it (its writes stopped, nothing
     * after the marker applied); a request taken back meanwhile (the cutover gave up, or was
     * interrupted) lets them all go on, so that a cutover can be undone until it is claimed.
     */
    private static final class CutoverGate {
        private final Migration m;
        private final int streams;
        private final java.util.Map<String, Integer> arrived = new java.util.HashMap<>();
        private final java.util.Map<String, Boolean> decided = new java.util.HashMap<>();

        CutoverGate(Migration m, int streams) {
            this.m = m;
            this.streams = streams;
        }

        synchronized boolean arrive(String request) {
            if (decided.containsKey(request)) return decided.get(request);
            int n = arrived.merge(request, 1, Integer::sum);
            if (n == streams) {
                boolean claimed = waitedOn(m, request);
                decided.put(request, claimed);
                notifyAll();
                return claimed;
            }
            try {
                while (!decided.containsKey(request)) {
                    wait(250);
                    if (!decided.containsKey(request) && !m.fromTarget(t -> CutoverTable.pending(t, m.settings.slot(), request))) {
                        decided.put(request, false); // taken back: every stream goes on past its marker
                        notifyAll();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            return decided.get(request);
        }
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

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
            refuseWritesAfterMarker(m, stream);
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

    static final long WRITES_AFTER_MARKER_WATCH_MILLIS = 500;

    /**
     * Row changes after the marker: the source was still being written (a cutover without
     * --stop-writes, the writes not stopped by hand). None of them was written, and the cutover
     * is not finished: its answer would send the application to a target without them. The
     * request is taken back, so the waiting `cutover` gives up at once and gives the writes back.
     */
    private static void refuseWritesAfterMarker(Migration m, LiveStream stream) throws SQLException, InterruptedException {
        refuseWritesAfterMarker(m, List.of(m), List.of(stream), "the source was");
    }

    /** As above, for every source database a stream reads ({@code sources} and {@code streams} in the same order). */
    private static void refuseWritesAfterMarker(Migration m, List<Migration> sources, List<LiveStream> streams, String what)
            throws SQLException, InterruptedException {
        // writes stopped by hand, not by the cutover: a moment to see whether any still come (the stream hands over every 10 ms)
        boolean stopped = true;
        for (Migration one : sources) {
            try (Connection source = one.source()) {
                stopped &= io.citusmigrate.stream.LiveSource.writesStopped(source);
            }
        }
        if (!stopped) Thread.sleep(WRITES_AFTER_MARKER_WATCH_MILLIS);
        long after = streams.stream().mapToLong(LiveStream::changesAfterMarker).sum();
        if (after == 0) return;
        String request = streams.get(0).cutoverRequest();
        m.onTarget(t -> CutoverTable.withdraw(t, m.settings.slot(), request, true));
        throw new UserError(what + " still being written after the cutover's marker (" + after + " row change" + (after == 1 ? "" : "s")
                + " came after it, none applied): the cutover is not done. Stop the application's writes to the source (or let"
                + " `citus-migrate cutover " + m.settings.file() + " --stop-writes` stop them), then run `citus-migrate migrate "
                + m.settings.file() + " --resume` and the cutover again");
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
        java.util.Set<String> later = in.find(ResumePoint.NotStreamedYet.class).map(ResumePoint.NotStreamedYet::databases).orElse(java.util.Set.of());
        List<Migration> dbs = new java.util.concurrent.CopyOnWriteArrayList<>(m.plan.tenantDatabases().stream().filter(db -> !later.contains(db))
                .map(m::forDatabase).toList());
        for (Migration one : dbs) refuseLostSlot(one);
        if (s.lookupIndexesAtStreamStart()) {
            m.onTarget(target -> m.said("lookup indexes for streaming (dropped at the cutover)", LookupIndexes.create(target, m.plan)));
        }
        String startOver = "start over: `citus-migrate cleanup " + s.file() + "`, then `citus-migrate migrate " + s.file() + "`";
        List<LiveStream> streams = new java.util.ArrayList<>();
        // the streams decide schema changes rolled out to the databases on one plan
        java.util.concurrent.atomic.AtomicReference<io.citusmigrate.plan.Plan> whole = new java.util.concurrent.atomic.AtomicReference<>(m.plan);
        CutoverGate gate = new CutoverGate(m, dbs::size);
        java.util.concurrent.ExecutorService watchers = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "citus-migrate-watch");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.concurrent.CompletionService<Void> watched = new java.util.concurrent.ExecutorCompletionService<>(watchers);
            for (Migration one : dbs) streams.add(stream(m, one, snapshotMode, whole, gate, watched));
            m.say("streaming changes from " + dbs.size() + " tenant databases (slots " + String.join(", ", dbs.stream().map(o -> o.settings.slot()).toList())
                    + "). To cut over: stop writes to the source, then run `citus-migrate cutover " + s.file() + "`");
            java.util.Set<String> passedOver = new java.util.HashSet<>(); // failed while taken in: `--resume` tries again
            java.util.Map<String, String> said = new java.util.HashMap<>(); // why each new database is not taken in yet, said once
            long looked = System.currentTimeMillis();
            // the first stream to fail stops them all, whichever database's it is; meanwhile a tenant database created since is taken in
            for (int done = 0; done < streams.size(); ) {
                try {
                    java.util.concurrent.Future<Void> f = watched.poll(1, java.util.concurrent.TimeUnit.SECONDS);
                    if (f != null) {
                        f.get();
                        done++;
                    } else if (!gate.met() && System.currentTimeMillis() - looked > NEW_DATABASES_MILLIS) {
                        looked = System.currentTimeMillis();
                        for (String db : io.citusmigrate.catalog.TenantDatabases.names(s.command())) {
                            if (passedOver.contains(db) || dbs.stream().anyMatch(o -> o.settings.source().database().equals(db))) continue;
                            Migration one;
                            try {
                                one = takeIn(m, db, whole, dbs, said);
                            } catch (RuntimeException | SQLException e) {
                                m.err.println("warning: the new tenant database " + db + " is not taken in: " + (e instanceof SQLException q
                                        ? io.citusmigrate.db.Databases.oneLine(q, null) : e.getMessage()) + ". A cutover refuses while it is there;"
                                        + " `citus-migrate migrate " + s.file() + " --resume` tries again");
                                m.err.flush();
                                passedOver.add(db);
                                one = null;
                            }
                            if (one == null) continue; // not alike yet (its tables still being made?): looked at again
                            streams.add(stream(m, one, "no_data", whole, gate, watched));
                        }
                    }
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
            refuseWritesAfterMarker(m, dbs, streams, "the tenant databases were");
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
                // UNLOGGED tables never reach the WAL: each database's copied again, its tenant's rows alone replaced
                long unloggedRows = 0;
                for (Migration one : dbs) {
                    try (Connection source = one.source()) {
                        unloggedRows += io.citusmigrate.stream.UnloggedTables.copyAgain(whole.get().forDatabase(one.settings.source().database()), source, target);
                    }
                }
                in.add(new Streamed(whole.get(), m.catalog));
                Finish.Done done = Finish.beforeAnswer(whole.get(), m.script(whole.get()), io.citusmigrate.copy.SequenceReset.furthest(each),
                        io.citusmigrate.stream.UnloggedTables.phrase(whole.get(), unloggedRows), target);
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

    /** How often a live migration of tenant databases looks for a database the rule matches that it does not stream yet. */
    static final long NEW_DATABASES_MILLIS = 5_000;

    /** A tenant database's stream, started, its watcher submitted. */
    private static LiveStream stream(Migration m, Migration one, String snapshotMode, java.util.concurrent.atomic.AtomicReference<io.citusmigrate.plan.Plan> whole,
                                     CutoverGate gate, java.util.concurrent.CompletionService<Void> watched) throws InterruptedException {
        LiveStream stream = new LiveStream(one.settings.command(), one.plan, one.catalog, one.settings.slot(), one.settings.publication(), snapshotMode);
        stream.consolidating(whole, one.settings.source().database());
        stream.answering(gate::arrive);
        stream.onConnectionLost(m::say, 1000L * m.settings.command().options().integer(io.citusmigrate.load.Option.RETRY_SECONDS));
        stream.start();
        watched.submit(() -> {
            StreamWatch.untilMarker(one, stream, "streaming", "streaming " + one.settings.source().database() + ": %d row changes applied");
            return null;
        });
        return stream;
    }

    /**
     * A tenant database created while streaming (a tenant signing up): planned with the others
     * (its tables must be theirs, alike; a difference passes it over, said), given the next
     * tenant key, recorded on the target, then loaded from its own slot's snapshot as at the
     * start (its rows copied and compared) before its stream starts where the snapshot ends.
     * Null when it is passed over: a cutover then refuses, naming it.
     */
    private static Migration takeIn(Migration m, String db, java.util.concurrent.atomic.AtomicReference<io.citusmigrate.plan.Plan> whole,
                                    List<Migration> dbs, java.util.Map<String, String> said) throws SQLException, InterruptedException {
        io.citusmigrate.load.LoadCommand cmd = m.settings.command();
        java.util.SortedMap<String, io.citusmigrate.catalog.Catalog> catalogs = io.citusmigrate.catalog.TenantDatabases.catalogs(cmd);
        io.citusmigrate.plan.Plan now;
        try (Connection target = m.target()) {
            now = io.citusmigrate.plan.Planner.plan(cmd, catalogs, java.util.Optional.of(new io.citusmigrate.catalog.CatalogReader(target).targetFacts(cmd)));
        }
        List<String> differences = now.errors().stream().map(Object::toString).filter(e -> e.contains("tenant database " + db)).toList();
        var tenant = now.consolidation().tenant(db).orElse(null);
        if (!differences.isEmpty() || tenant == null) {
            String why = "warning: the new tenant database " + db + " is not taken in yet" + (differences.isEmpty() ? "" : ": " + String.join("; ", differences))
                    + ". It is looked at again every few seconds; a cutover refuses while it is there";
            if (!why.equals(said.put(db, why))) {
                m.err.println(why);
                m.err.flush();
            }
            return null;
        }
        io.citusmigrate.plan.Plan all;
        synchronized (whole) {
            all = whole.get();
            // a resumed run's plan has a database matched before it began, and not loaded yet, already
            if (all.consolidation().tenant(db).isEmpty()) {
                for (var share : now.consolidation().sharesOf(tenant)) all = all.withShareAdded(share, tenant);
            }
            whole.set(all);
        }
        Migration one = m.forDatabase(db, all, catalogs.get(db));
        // counted before its slot exists: a cutover that marks its slot waits for its stream too, never claimed without it
        dbs.add(one);
        m.say("new tenant database " + db + ": taken in under tenant key " + tenant.key() + "; its bulk load from its own slot's snapshot comes first");
        Outputs o = new Outputs();
        try {
            new PublicationStep().run(one, o);
            new SnapshotStep().run(one, o);
            new CopyStep().run(one, o);
            new VerifyStep().run(one, o);
            List<String> unequal = o.get(VerifyStep.Checked.class).checks().stream().filter(c -> !c.ok()).map(c -> c.table()).toList();
            if (!unequal.isEmpty()) throw new UserError("the new tenant database " + db + "'s copy differs from its source: " + String.join(", ", unequal));
            new LoadRecordStep().run(one, o);
        } catch (RuntimeException | SQLException e) {
            dbs.remove(one);
            o.find(SnapshotStep.Taken.class).ifPresent(t -> t.snapshot().close());
            try (Connection source = one.source()) {
                io.citusmigrate.stream.LiveSource.drop(source, one.settings.slot(), one.settings.publication());
            } catch (SQLException dropped) {
                // the failure is what is said
            }
            throw e;
        }
        o.find(SnapshotStep.Taken.class).ifPresent(t -> t.snapshot().close());
        m.say("new tenant database " + db + ": loaded and compared; its changes stream from slot " + one.settings.slot());
        return one;
    }

    /**
     * Tenant databases: a cutover is taken on only when every database's stream has met its
     * marker. Until then each stream that has met it waits at it (its writes stopped, nothing
     * after the marker applied); a request taken back meanwhile (the cutover gave up, or was
     * interrupted) lets them all go on, so that a cutover can be undone until it is claimed.
     */
    private static final class CutoverGate {
        private final Migration m;
        private final java.util.function.IntSupplier streams;
        private final java.util.Map<String, Integer> arrived = new java.util.HashMap<>();
        private final java.util.Map<String, Boolean> decided = new java.util.HashMap<>();

        CutoverGate(Migration m, java.util.function.IntSupplier streams) {
            this.m = m;
            this.streams = streams;
        }

        /** Whether some stream has met a cutover's marker: no tenant database is taken in from then on. */
        synchronized boolean met() {
            return arrived.keySet().stream().anyMatch(r -> !Boolean.FALSE.equals(decided.get(r)));
        }

        synchronized boolean arrive(String request) {
            if (decided.containsKey(request)) return decided.get(request);
            int n = arrived.merge(request, 1, Integer::sum);
            if (n >= streams.getAsInt()) {
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

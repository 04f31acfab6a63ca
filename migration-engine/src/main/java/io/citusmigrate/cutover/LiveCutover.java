package io.citusmigrate.cutover;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.db.Databases;
import io.citusmigrate.stream.AutovacuumPause;
import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.stream.LiveProgress;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.Plan;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The cutover of a running `migrate`, asked from another process: refused when the stream is too
 * far behind or no migrate reads the slot; else writes stopped (if asked), a marker written into
 * the source's WAL, and the wait for migrate's answer on the target (see {@link CutoverWait}).
 */
public record LiveCutover(LoadCommand cmd, CutoverRequest r, PrintWriter out, PrintWriter err) {
    /** True once migrate has answered; false when refused or given up. {@code plan} is read only when foreign keys are to come. */
    public boolean run(Connection source, Connection target, Supplier<Plan> plan, long t0) throws SQLException, InterruptedException {
        return run(List.of(new CutoverSource(source, cmd.source(), r.slot())), target, plan, t0);
    }

    /** The same for several source databases (tenant databases consolidated), each with its stream's slot: stopped and marked together. */
    public boolean run(List<CutoverSource> sources, Connection target, Supplier<Plan> plan, long t0) throws SQLException, InterruptedException {
        for (CutoverSource s : sources) {
            String slot = s.slot();
            LiveProgress.Status st = LiveProgress.read(target, slot);
            // a migrate that just began streaming reports within a second or two; on a loaded machine
            // (a CI run of the suite, 2026-12-07) 5 s was once too short and a cutover was refused.
            // One reading of the slot's reader decides: read twice, a migrate connecting between the two
            // looked like another reader (a CI run, 2026-12-07: refused 1 s after migrate began streaming)
            Integer reader = LiveSource.slotReader(s.connection(), slot);
            for (long until = System.currentTimeMillis() + 15_000; stale(st) && reader != null && System.currentTimeMillis() < until; ) {
                Thread.sleep(250);
                st = LiveProgress.read(target, slot);
                reader = LiveSource.slotReader(s.connection(), slot);
            }
            if (stale(st) && reader != null) {
                // something streams the slot but is not a `migrate` reporting here: a Connect deployment deploy did not record
                err.println("cutover refused: the slot " + slot + " is read by a process that is not a running `citus-migrate migrate`"
                        + " of this command file (a Connect deployment?); nothing was stopped. For a Connect deployment: `citus-migrate"
                        + " cutover " + r.file() + " --connect URL`");
                err.flush();
                return false;
            }
            if (stale(st)) {
                err.println("warning: the running migrate has not reported how far behind it is" + (sources.size() > 1 ? " on slot " + slot : "")
                        + (st == null ? "" : String.format(Locale.ROOT, " for %.0f s", st.ageSeconds())) + "; cutting over without an estimate");
                err.flush();
            } else if (!withinMaxLag(st, sources.size() == 1 ? "the stream" : "the stream of slot " + slot)) {
                return false;
            }
        }
        for (CutoverSource s : sources) {
            String alsoStopped = io.citusmigrate.stream.UnloggedTables.whileWritesStopped(s.connection());
            if (!alsoStopped.isEmpty()) {
                out.println(alsoStopped);
                out.flush();
            }
        }
        // autovacuum paused on a connection of its own while writes stop and the stream catches up to them: under load it
        // waits about a second for a running autovacuum to be cancelled, and that second now overlaps the catch-up instead of
        // coming before it (benchmark/RESULTS.md, 2026-12-07 fifth session); it is over before the marker is written, so
        // `migrate` adds the foreign keys after it and turns autovacuum back on after that
        // the tables the foreign keys join come from the plan, read from the source first: stopping writes ends the
        // source's other sessions, the plan's reading among them (read only when there are foreign keys to add)
        List<String> tables = cmd.options().flag(Option.FOREIGN_KEYS) ? AutovacuumPause.tables(plan.get(), cmd.options()) : List.of();
        return cutOver(sources, target, t0, tables);
    }

    /** Autovacuum off on these tables, on a target connection of its own; on how many. */
    private int pauseAutovacuum(List<String> tables) {
        if (tables.isEmpty()) return 0;
        try (Connection c = Databases.target(cmd)) {
            return AutovacuumPause.pause(c, r.slot(), tables, line -> {
                err.println("warning: " + line);
                err.flush();
            });
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }

    private static void daemon(Runnable task) {
        Thread t = new Thread(task, "autovacuum-pause");
        t.setDaemon(true);
        t.start();
    }

    /** Waits for the pause and says what it did; its failure is the cutover's. */
    private void awaitPause(CompletableFuture<Integer> pause) throws SQLException, InterruptedException {
        int paused;
        try {
            paused = pause.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SQLException q) throw q;
            if (e.getCause() instanceof RuntimeException x) throw x;
            throw new IllegalStateException(e.getCause());
        }
        if (paused > 0) {
            out.println(AutovacuumPause.pausedLine(paused));
            out.flush();
        }
    }

    private static boolean stale(LiveProgress.Status st) {
        return st == null || st.ageSeconds() > LiveProgress.STALE_SECONDS;
    }

    /** Says the estimate; false (said why) when catching up would take longer than --max-lag. */
    private boolean withinMaxLag(LiveProgress.Status st, String stream) {
        double catchUp = st.catchUpSeconds();
        String estimate = Double.isInfinite(catchUp) ? "cannot be estimated (nothing applied lately)"
                : String.format(Locale.ROOT, "should take about %.1f s", catchUp);
        out.printf(Locale.ROOT, "%s is %.1f s (%s) behind the source; catching up %s%n", stream, st.lagSeconds(),
                LiveProgress.bytes(st.lagBytes()), estimate);
        out.flush();
        if (catchUp <= r.maxLagSeconds()) return true;
        err.printf(Locale.ROOT, "cutover refused: catching up %s, over --max-lag %.0f s; nothing was stopped."
                + " Wait for the stream (`citus-migrate status %s`) or raise --max-lag%n", estimate, r.maxLagSeconds(), r.file());
        err.flush();
        return false;
    }

    /**
     * Stops writes (with --stop-writes), waits for autovacuum's pause, writes the marker and waits for `migrate`'s answer; false
     * when none came. Whatever ends the wait short of the answer (a timeout, no migrate reading,
     * an error, Ctrl-C or SIGTERM) withdraws the request and gives the writes back, unless
     * `migrate` has taken the cutover on already: then it finishes it.
     */
    private boolean cutOver(List<CutoverSource> sources, Connection target, long t0, List<String> tables)
            throws SQLException, InterruptedException {
        String request = CutoverTable.request(target, r.slot());
        // started once the request is there: from here every way out goes through the undo, which turns autovacuum back on
        // unless a `migrate` took the cutover on (it does that itself once the foreign keys are in)
        CompletableFuture<Integer> pause = CompletableFuture.supplyAsync(() -> pauseAutovacuum(tables), LiveCutover::daemon);
        try (CutoverUndo undo = new CutoverUndo(how -> {
            undo(sources, request, how);
            autovacuumBackAfterUndo(request, pause);
        })) {
            boolean answered;
            try {
                long stopped = stopWrites(sources);
                awaitPause(pause);
                answered = new CutoverWait(r, sources, target, request, undo, out, err).await(t0, stopped);
            } catch (InterruptedException e) {
                undo.run("interrupted");
                throw e;
            } catch (SQLException | RuntimeException e) {
                undo.run("failed");
                throw e;
            }
            if (answered) undo.done();
            else undo.run("given up");
            return answered;
        }
    }

    /**
     * After an undo (a failure, giving up, Ctrl-C or SIGTERM: the shutdown hook's JVM runs no
     * finally after it), autovacuum back on where this cutover paused it, once the pause is over,
     * unless a `migrate` took the cutover on: it turns it back on when done. On a connection of its own.
     */
    private void autovacuumBackAfterUndo(String request, CompletableFuture<Integer> pause) {
        try {
            pause.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (java.util.concurrent.ExecutionException e) {
            // it failed part way: the notes say which tables it paused
        } catch (java.util.concurrent.TimeoutException e) {
            err.println("warning: autovacuum may stay paused on target tables noted in " + AutovacuumPause.TABLE + ": the next cutover"
                    + " that finishes, or `cleanup`, turns it back on");
            err.flush();
            return;
        }
        try (Connection t = Databases.target(cmd)) {
            if (CutoverTable.pending(t, r.slot(), request) || CutoverTable.doneChanges(t, r.slot(), request) != null) return;
            int resumed = AutovacuumPause.resume(t, r.slot());
            if (resumed > 0) err.println(AutovacuumPause.resumedLine(resumed));
        } catch (SQLException | RuntimeException e) {
            err.println("warning: autovacuum could not be turned back on on the target tables noted in " + AutovacuumPause.TABLE + " ("
                    + (e instanceof SQLException q ? Databases.oneLine(q, null) : e.getMessage()) + "); the next cutover that finishes, or"
                    + " `cleanup`, does it");
        }
        err.flush();
    }

    /** With --stop-writes: the source read-only, its open sessions ended; when that began. */
    private long stopWrites(List<CutoverSource> sources) throws SQLException {
        long stopped = System.nanoTime();
        if (!r.stopWrites()) return stopped;
        int ended = 0;
        for (CutoverSource s : sources) ended += LiveSource.stopWrites(s.connection());
        CrashPoints.reach("cutover.after-stop-writes");
        out.println("writes stopped: the source " + (sources.size() == 1 ? "database is" : "databases (" + sources.size() + ") are")
                + " read-only for new sessions, " + ended + " open session" + (ended == 1 ? "" : "s") + " ended");
        return stopped;
    }

    /** The undo, on connections of its own. */
    private void undo(List<CutoverSource> sources, String request, String how) {
        if (sources.size() > 1) {
            undoEach(sources, request, how);
            return;
        }
        List<Connection> opened = new java.util.ArrayList<>();
        try (Connection t = Databases.target(cmd)) {
            for (CutoverSource s : sources) opened.add(Databases.connect("source", s.url()));
            withdrawAndGiveBack(opened, sources, t, request, how);
        } catch (SQLException | RuntimeException e) {
            err.println("cutover " + how + ", and it could not be undone: " + (e instanceof SQLException q ? Databases.oneLine(q, null) : e.getMessage())
                    + (r.stopWrites() ? ". The source may be read-only: ALTER DATABASE ... RESET default_transaction_read_only gives its writes back" : ""));
            err.flush();
        } finally {
            opened.forEach(Databases::close);
        }
    }

    /**
     * Several source databases: the request taken back, then each database's writes given back
     * on a connection of its own, so that one that cannot be reached does not keep the others
     * read-only; each that could not be given back is named with the statement that does it.
     */
    private void undoEach(List<CutoverSource> sources, String request, String how) {
        String slot = r.slot();
        boolean finishing;
        try (Connection t = Databases.target(cmd)) {
            if (CutoverTable.doneChanges(t, slot, request) != null) return; // done: nothing to undo
            boolean read = false;
            // on connections of its own: the cutover's may be in use (Ctrl-C, SIGTERM)
            for (CutoverSource s : sources) {
                try (Connection c = Databases.connect("source", s.url())) {
                    read |= LiveSource.slotReader(c, s.slot()) != null;
                } catch (SQLException | RuntimeException e) {
                    // unreachable: its stream cannot be finishing from there
                }
            }
            finishing = !CutoverTable.withdraw(t, slot, request) && CutoverTable.claimed(t, slot, request) && read;
            if (!finishing) CutoverTable.withdraw(t, slot, request, true);
        } catch (SQLException | RuntimeException e) {
            finishing = false;
            err.println("cutover " + how + ", and its request could not be taken back: " + (e instanceof SQLException q ? Databases.oneLine(q, null)
                    : e.getMessage()));
        }
        if (finishing) {
            err.println("cutover " + how + " after the running migrate took it on: it finishes it" + (r.stopWrites() ? " and the source databases stay"
                    + " read-only" : "") + "; `citus-migrate status " + r.file() + "` says when it is done");
            err.flush();
            return;
        }
        List<String> failed = new java.util.ArrayList<>();
        if (r.stopWrites()) {
            for (CutoverSource s : sources) {
                try (Connection c = Databases.connect("source", s.url())) {
                    LiveSource.giveWritesBack(c);
                } catch (SQLException | RuntimeException e) {
                    failed.add(s.url().database());
                    err.println("cutover " + how + ": the writes of " + s.url() + " could not be given back (" + (e instanceof SQLException q
                            ? Databases.oneLine(q, null) : e.getMessage()) + "): ALTER DATABASE " + io.citusmigrate.sql.Sql.ident(s.url().database())
                            + " RESET default_transaction_read_only gives them back");
                }
            }
        }
        err.println("cutover " + how + " and undone: the migration will not act on its markers" + (r.stopWrites() ? "; writes given back"
                + (failed.isEmpty() ? " to every source database" : " to every source database but " + String.join(", ", failed)) : "")
                + ". The migration streams on; run the cutover again when ready");
        err.flush();
    }

    /** Withdraws the request and gives the writes back; when `migrate` has taken the cutover on, says that it finishes it. */
    private void withdrawAndGiveBack(List<Connection> opened, List<CutoverSource> sources, Connection target, String request, String how)
            throws SQLException {
        String slot = r.slot();
        if (CutoverTable.doneChanges(target, slot, request) != null) return; // done: nothing to undo
        boolean read = false;
        for (int i = 0; i < sources.size(); i++) read |= LiveSource.slotReader(opened.get(i), sources.get(i).slot()) != null;
        // taken back by `migrate` itself before this undo (the source still written after the marker: it says so, and stops)
        boolean refused = !CutoverTable.pending(target, slot, request);
        boolean finishing = !CutoverTable.withdraw(target, slot, request) && CutoverTable.claimed(target, slot, request) && read;
        if (!finishing) {
            CutoverTable.withdraw(target, slot, request, true); // taken on by a migrate no longer there to finish it
            if (r.stopWrites()) for (Connection c : opened) LiveSource.giveWritesBack(c);
            err.println("cutover " + how + " and undone: the migration will not act on its marker" + (r.stopWrites()
                    ? "; writes given back, the source is writable again" : "") + (refused ? ". Run `citus-migrate migrate " + r.file()
                    + " --resume`, then the cutover again" : ". The migration streams on; run the cutover again when ready"));
        } else {
            err.println("cutover " + how + " after the running migrate took it on: it finishes it" + (r.stopWrites() ? " and the source stays read-only" : "")
                    + "; `citus-migrate status " + r.file() + "` says when it is done");
        }
        err.flush();
    }
}

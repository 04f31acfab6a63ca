package io.citusmigrate.cli;

import io.citusmigrate.steps.ConnectCutover;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.live.AutovacuumPause;
import io.citusmigrate.live.CutoverTable;
import io.citusmigrate.live.CutoverUndo;
import io.citusmigrate.live.LiveProgress;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate cutover FILE}: ends a live migration. Run it once writes to the source
 * have stopped: it writes a marker into the source's WAL and waits until the running
 * {@code migrate} has applied everything up to it and set the sequences.
 */
@Command(name = "cutover", mixinStandardHelpOptions = true,
        description = "Ends a live migration: once writes to the source have stopped, waits until the running `migrate` (or, with --connect, the Connect deployment) has applied every change, then sets the sequences and adds the foreign keys.")
final class CutoverCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file the live migration runs with")
    Path file;

    @CommandLine.Option(names = "--timeout", defaultValue = "300", description = "seconds to wait for the migration to catch up (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Option(names = "--stop-writes",
            description = "make the source database read-only for new sessions and end the open ones before the marker"
                    + " (needs the database's owner); a cutover that cannot finish, or is interrupted, gives the writes back")
    boolean stopWrites;

    @CommandLine.Option(names = "--max-lag", defaultValue = "10",
            description = "refuse, before stopping anything, when catching up would take longer than this many seconds at the"
                    + " stream's recent pace; `off`: cut over whatever the lag (default: ${DEFAULT-VALUE})")
    String maxLag;

    /** How long the slot may go unread before the cutover concludes no migrate is running (Debezium reconnects in less). */
    static final long READERLESS_MILLIS = 10_000;

    /** A Connect deployment: its connectors NAME-source and NAME-sink. */
    @CommandLine.Mixin
    ConnectDeployment deployment;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        double maxLagSeconds;
        try {
            maxLagSeconds = maxLag.equals("off") ? Double.POSITIVE_INFINITY : Double.parseDouble(maxLag);
        } catch (NumberFormatException e) {
            throw new io.citusmigrate.BadInput("--max-lag must be a number of seconds or off, not " + maxLag);
        }
        String slot = MigrationSettings.slot(cmd);
        long t0 = System.nanoTime();
        deployment.findRecorded(cmd, slot, out);
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            if (!LiveSource.slotExists(source, slot)) {
                throw new UserError("the source has no slot " + slot + ": no live migration of this command file is streaming");
            }
            if (deployment.cluster() != null) {
                Session s = Session.open(cmd);
                new ConnectCutover(MigrationSettings.of(file, cmd, false, false, false), s.catalog(), s.plan(), deployment.cluster(),
                        deployment.connectors(), out).run(stopWrites, timeoutSeconds);
                return Main.OK;
            }
            LiveProgress.Status st = LiveProgress.read(target, slot);
            // a migrate that just began streaming reports within a second or two
            for (long until = System.currentTimeMillis() + 5_000; (st == null || st.ageSeconds() > LiveProgress.STALE_SECONDS)
                    && System.currentTimeMillis() < until
                    && LiveSource.slotReader(source, slot) != null; st = LiveProgress.read(target, slot)) {
                Thread.sleep(250);
            }
            if ((st == null || st.ageSeconds() > LiveProgress.STALE_SECONDS) && LiveSource.slotReader(source, slot) != null) {
                // something streams the slot but is not a `migrate` reporting here: a Connect deployment deploy did not record
                err.println("cutover refused: the slot " + slot + " is read by a process that is not a running `citus-migrate migrate`"
                        + " of this command file (a Connect deployment?); nothing was stopped. For a Connect deployment: `citus-migrate"
                        + " cutover " + file + " --connect URL`");
                err.flush();
                return Main.FAILED;
            }
            if (st == null || st.ageSeconds() > LiveProgress.STALE_SECONDS) {
                err.println("warning: the running migrate has not reported how far behind it is" + (st == null ? ""
                        : String.format(java.util.Locale.ROOT, " for %.0f s", st.ageSeconds())) + "; cutting over without an estimate");
                err.flush();
            } else {
                double catchUp = st.catchUpSeconds();
                String estimate = Double.isInfinite(catchUp) ? "cannot be estimated (nothing applied lately)"
                        : String.format(java.util.Locale.ROOT, "should take about %.1f s", catchUp);
                out.printf(java.util.Locale.ROOT, "the stream is %.1f s (%s) behind the source; catching up %s%n", st.lagSeconds(),
                        LiveProgress.bytes(st.lagBytes()), estimate);
                out.flush();
                if (catchUp > maxLagSeconds) {
                    err.printf(java.util.Locale.ROOT, "cutover refused: catching up %s, over --max-lag %.0f s; nothing was stopped."
                            + " Wait for the stream (`citus-migrate status %s`) or raise --max-lag%n", estimate, maxLagSeconds, file);
                    err.flush();
                    return Main.FAILED;
                }
            }
            // the tables the foreign keys join come from the plan: read only when there are foreign keys to add
            int paused = AutovacuumPause.pause(target, slot, cmd.options().flag(io.citusmigrate.load.Option.FOREIGN_KEYS)
                    ? AutovacuumPause.tables(Session.open(cmd).plan(), cmd.options()) : java.util.List.of());
            if (paused > 0) {
                out.println(AutovacuumPause.pausedLine(paused));
                out.flush();
            }
            boolean answered = false;
            try {
                answered = cutOver(cmd, source, target, slot, t0);
                return answered ? Main.OK : Main.FAILED;
            } finally {
                // answered: `migrate` turns autovacuum back on once the lookup indexes are gone and the foreign keys validated
                if (!answered && paused > 0) AutovacuumPause.resumeAfterFailure(target, slot, err);
            }
        } catch (SQLException e) {
            throw new UserError("the cutover failed: " + Databases.oneLine(e, null));
        }
    }

    /**
     * Stops writes (with --stop-writes), writes the marker and waits for `migrate`'s answer; false
     * when none came. Whatever ends the wait short of the answer (a timeout, no migrate reading,
     * an error, Ctrl-C or SIGTERM) withdraws the request and gives the writes back, unless
     * `migrate` has taken the cutover on already: then it finishes it.
     */
    private boolean cutOver(LoadCommand cmd, Connection source, Connection target, String slot, long t0) throws SQLException, InterruptedException {
        String request = CutoverTable.request(target, slot);
        try (CutoverUndo undo = new CutoverUndo(how -> undo(cmd, slot, request, how))) {
            boolean answered;
            try {
                answered = waitForAnswer(source, target, slot, request, t0);
            } catch (SQLException | RuntimeException e) {
                undo.run("failed");
                throw e;
            }
            if (answered) undo.done();
            else undo.run("given up");
            return answered;
        }
    }

    /** The undo, on connections of its own. */
    private void undo(LoadCommand cmd, String slot, String request, String how) {
        try (Connection s = Databases.connect("source", cmd.source()); Connection t = Databases.target(cmd)) {
            withdrawAndGiveBack(s, t, slot, request, how);
        } catch (SQLException | RuntimeException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("cutover " + how + ", and it could not be undone: " + (e instanceof SQLException q ? Databases.oneLine(q, null) : e.getMessage())
                    + (stopWrites ? ". The source may be read-only: ALTER DATABASE ... RESET default_transaction_read_only gives its writes back" : ""));
            err.flush();
        }
    }

    /** Withdraws the request and gives the writes back; when `migrate` has taken the cutover on, says that it finishes it. */
    private void withdrawAndGiveBack(Connection source, Connection target, String slot, String request, String how) throws SQLException {
        PrintWriter err = spec.commandLine().getErr();
        if (CutoverTable.doneChanges(target, slot, request) != null) return; // done: nothing to undo
        boolean finishing = !CutoverTable.withdraw(target, slot, request) && CutoverTable.claimed(target, slot, request)
                && LiveSource.slotReader(source, slot) != null;
        if (!finishing) {
            CutoverTable.withdraw(target, slot, request, true); // taken on by a migrate no longer there to finish it
            if (stopWrites) LiveSource.giveWritesBack(source);
            err.println("cutover " + how + " and undone: the migration will not act on its marker" + (stopWrites
                    ? "; writes given back, the source is writable again" : "") + ". The migration streams on; run the cutover again when ready");
        } else {
            err.println("cutover " + how + " after the running migrate took it on: it finishes it" + (stopWrites ? " and the source stays read-only" : "")
                    + "; `citus-migrate status " + file + "` says when it is done");
        }
        err.flush();
    }

    private boolean waitForAnswer(Connection source, Connection target, String slot, String request, long t0) throws SQLException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long stopped = System.nanoTime();
        if (stopWrites) {
            int ended = LiveSource.stopWrites(source);
            io.citusmigrate.crash.CrashPoints.reach("cutover.after-stop-writes");
            out.println("writes stopped: the source database is read-only for new sessions, " + ended + " open session"
                    + (ended == 1 ? "" : "s") + " ended");
        }
        String lsn = LiveSource.emitMarker(source, slot, request);
        out.println("cutover marker written to the source's WAL at " + lsn + "; waiting for the migration to apply it");
        out.flush();
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        long unread = 0; // since when no migrate has read the slot
        while (System.currentTimeMillis() < deadline) {
            Long changes = CutoverTable.doneChanges(target, slot, request);
            if (changes != null) {
                out.printf("cutover done in %.1f s%s: every change before the marker is on the target (%d row changes streamed"
                        + " in all), sequences set. Point the application at the target.%n", (System.nanoTime() - t0) / 1e9,
                        downtime(stopped), changes);
                out.flush();
                return true;
            }
            if (LiveSource.slotReader(source, slot) != null) unread = 0;
            else if (unread == 0) unread = System.currentTimeMillis();
            else if (System.currentTimeMillis() - unread > READERLESS_MILLIS) {
                err.println("cutover given up: no `citus-migrate migrate` is streaming from the slot " + slot + " (it has had no reader"
                        + " for " + READERLESS_MILLIS / 1000 + " s). Run `citus-migrate migrate " + file + " --resume`, then this"
                        + " cutover again");
                err.flush();
                return false;
            }
            Thread.sleep(50); // the answer is a moment of write downtime: looked for often, on a small local table
        }
        if (!CutoverTable.withdraw(target, slot, request)) {
            // migrate took this cutover on: it is setting sequences and foreign keys; its answer comes
            while (CutoverTable.doneChanges(target, slot, request) == null && LiveSource.slotReader(source, slot) != null) Thread.sleep(200);
            Long changes = CutoverTable.doneChanges(target, slot, request);
            if (changes != null) {
                out.printf("cutover done in %.1f s%s (after its --timeout): every change before the marker is on the target (%d row changes"
                        + " streamed in all). Point the application at the target.%n", (System.nanoTime() - t0) / 1e9, downtime(stopped), changes);
                out.flush();
                return true;
            }
        }
        err.println("the migration did not reach the cutover marker within " + timeoutSeconds
                + " s: is `citus-migrate migrate` still running? (it says how far it is)");
        err.flush();
        return false;
    }

    /** With --stop-writes: how long the source has been read-only, the write downtime (the estimate and connecting came before). */
    private String downtime(long stopped) {
        return stopWrites ? String.format(java.util.Locale.ROOT, " (writes stopped for the last %.1f s of it)", (System.nanoTime() - stopped) / 1e9) : "";
    }
}

package io.citusmigrate.cutover;

import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.stream.LiveSource;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The cutover marker written into the source's WAL, and the wait for `migrate` to say it has applied everything before it. */
record CutoverWait(CutoverRequest r, java.util.List<CutoverSource> sources, Connection target, String request, CutoverUndo undo,
                   PrintWriter out, PrintWriter err) {
    /** How long the slot may go unread before the cutover concludes no migrate is running (Debezium reconnects in less). */
    static final long READERLESS_MILLIS = 10_000;

    /** True once migrate has answered; {@code stopped} is when writes stopped (with --stop-writes). */
    boolean await(long t0, long stopped) throws SQLException, InterruptedException {
        String slot = r.slot();
        java.util.List<String> at = new java.util.ArrayList<>();
        for (CutoverSource s : sources) at.add(LiveSource.emitMarker(s.connection(), s.slot(), request));
        out.println(sources.size() == 1 ? "cutover marker written to the source's WAL at " + at.get(0) + "; waiting for the migration to apply it"
                : "cutover markers written to the WAL of the " + sources.size() + " source databases; waiting for the migration to apply them");
        out.flush();
        long deadline = System.currentTimeMillis() + r.timeoutSeconds() * 1000L;
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
            if (!CutoverTable.pending(target, slot, request) && CutoverTable.doneChanges(target, slot, request) == null) {
                if (undo.over()) return false; // this cutover's own undo took it back (Ctrl-C, SIGTERM): it says so
                // `migrate` took it back (the source was still being written after the marker: it says so), or another cutover replaced it
                err.println("cutover given up: the migration refused it (`citus-migrate migrate` says why; the source still written after"
                        + " the marker?). Stop the writes to the source, run `citus-migrate migrate " + r.file() + " --resume`, then this"
                        + " cutover again");
                err.flush();
                return false;
            }
            String unreadSlot = unreadSlot();
            if (unreadSlot == null) unread = 0;
            else if (unread == 0) unread = System.currentTimeMillis();
            else if (System.currentTimeMillis() - unread > READERLESS_MILLIS) {
                err.println("cutover given up: no `citus-migrate migrate` is streaming from the slot " + unreadSlot + " (it has had no reader"
                        + " for " + READERLESS_MILLIS / 1000 + " s). Run `citus-migrate migrate " + r.file() + " --resume`, then this"
                        + " cutover again");
                err.flush();
                return false;
            }
            Thread.sleep(50); // the answer is a moment of write downtime: looked for often, on a small local table
        }
        if (!CutoverTable.withdraw(target, slot, request)) {
            // migrate took this cutover on: it is setting sequences and foreign keys; its answer comes
            while (CutoverTable.doneChanges(target, slot, request) == null && unreadSlot() == null) Thread.sleep(200);
            Long changes = CutoverTable.doneChanges(target, slot, request);
            if (changes != null) {
                out.printf("cutover done in %.1f s%s (after its --timeout): every change before the marker is on the target (%d row changes"
                        + " streamed in all). Point the application at the target.%n", (System.nanoTime() - t0) / 1e9, downtime(stopped), changes);
                out.flush();
                return true;
            }
        }
        err.println("the migration did not reach the cutover marker within " + r.timeoutSeconds()
                + " s: is `citus-migrate migrate` still running? (it says how far it is)");
        err.flush();
        return false;
    }

    /** A slot no stream reads now, or null when every source's is read. */
    private String unreadSlot() throws SQLException {
        for (CutoverSource s : sources) if (LiveSource.slotReader(s.connection(), s.slot()) == null) return s.slot();
        return null;
    }

    /** With --stop-writes: how long the source has been read-only, the write downtime (the estimate and connecting came before). */
    private String downtime(long stopped) {
        return r.stopWrites() ? String.format(Locale.ROOT, " (writes stopped for the last %.1f s of it)", (System.nanoTime() - stopped) / 1e9) : "";
    }
}

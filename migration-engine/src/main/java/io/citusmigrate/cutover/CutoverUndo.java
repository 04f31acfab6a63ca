package io.citusmigrate.cutover;

import java.util.function.Consumer;

/**
 * The undo of a cutover that cannot finish, run at most once: on a failure, on giving up, or
 * from a shutdown hook on Ctrl-C or SIGTERM, unless the cutover is done first. The undo opens
 * connections of its own: the ones the cutover ran on may be what failed.
 */
public final class CutoverUndo implements AutoCloseable {
    private final Consumer<String> undo;
    private final Thread hook;
    private volatile boolean over;

    /** {@code undo} takes how the cutover ended: "interrupted", "failed", "given up". */
    public CutoverUndo(Consumer<String> undo) {
        this.undo = undo;
        this.hook = new Thread(() -> run("interrupted"), "cutover-undo");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Undoes the cutover, unless it is done or undone already; a hook arriving meanwhile waits for it. */
    public synchronized void run(String how) {
        if (over) return;
        over = true;
        undo.accept(how);
    }

    /** Whether it is done or undone (an undo under way counts: it is marked before it starts). */
    public boolean over() {
        return over;
    }

    /** Every change is on the target: from here the application moves, and nothing is undone. */
    public synchronized void done() {
        over = true;
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }
}

package io.citusmigrate.crash;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named moments at which the crash tests kill the process, as {@code kill -9} would: no shutdown
 * hook, no finally block, no flush. Off unless the JVM runs with
 * {@code -Dcitus-migrate.crash-at=NAME} (at the first time NAME is reached) or {@code NAME:N} (at
 * the N-th time). A point costs one volatile read when off.
 */
public final class CrashPoints {
    public static final String PROPERTY = "citus-migrate.crash-at";
    /** The exit status of a process killed by signal 9, which the tests expect. */
    public static final int EXIT = 137;

    private static final String NAME;
    private static final int NTH;
    private static final AtomicInteger HITS = new AtomicInteger();

    static {
        String at = System.getProperty(PROPERTY);
        int colon = at == null ? -1 : at.lastIndexOf(':');
        NAME = at == null ? null : colon < 0 ? at : at.substring(0, colon);
        NTH = colon < 0 ? 1 : Integer.parseInt(at.substring(colon + 1));
    }

    private CrashPoints() {}

    /** Dies here if this is the point (and the time) the crash test asked for. */
    public static void reach(String name) {
        if (NAME == null || !NAME.equals(name)) return;
        if (HITS.incrementAndGet() < NTH) return;
        System.err.println("crash point " + name + " reached: the process dies here");
        System.err.flush();
        Runtime.getRuntime().halt(EXIT);
    }
}

package io.citusmigrate.cli;

import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A `migrate` on a thread of its own, what it prints, and its end. */
record Background(StringWriter out, Run[] result, Thread thread) {
    static Background migrate(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "migrate";
        System.arraycopy(args, 0, all, 1, args.length);
        StringWriter out = new StringWriter();
        Run[] result = new Run[1];
        Thread t = new Thread(() -> result[0] = Run.of(out, all));
        t.start();
        return new Background(out, result, t);
    }

    /** A `migrate` of the file, once it says it streams. */
    static Background streaming(Path file) throws Exception {
        Background m = migrate(file.toString());
        m.waitUntilStreaming();
        return m;
    }

    void waitUntilStreaming() throws Exception {
        await(() -> out.toString().contains("streaming changes from slot"));
    }

    /** Waits until the check holds; fails with what `migrate` said if it ends first. */
    void await(Check c) throws Exception {
        waitFor(c, thread, () -> out + (result[0] == null ? "" : result[0].err()));
    }

    /** Interrupted, as Ctrl-C would. */
    Run interrupt() throws InterruptedException {
        thread.interrupt();
        thread.join(60_000);
        return result[0];
    }

    /** `cutover`, then this migrate ends with exit 0; what the cutover said. */
    Run cutOverAndFinish(Path file) throws InterruptedException {
        // what these tests check is what the cutover carries, not how far behind the stream may be when it is asked (a busy machine)
        Run cutover = Run.of(new StringWriter(), "cutover", file.toString(), "--timeout", "120", "--max-lag", "120");
        assertEquals(0, cutover.code(), cutover.out() + cutover.err() + "\nmigrate said:\n" + out);
        thread.join(60_000);
        assertEquals(0, result[0].code(), result[0].out() + result[0].err());
        return cutover;
    }

    /** Something a test waits for. */
    interface Check {
        boolean ok() throws Exception;
    }

    /** Waits (two minutes at most) until the check holds; fails with what `migrate` said if its thread ends first. */
    static void waitFor(Check c, Thread t, java.util.function.Supplier<String> said) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!c.ok()) {
            if (!t.isAlive()) throw new AssertionError("migrate ended early: " + said.get());
            if (System.currentTimeMillis() > deadline) {
                String so = said.get();
                throw new AssertionError("timed out; migrate said so far: " + so.substring(Math.max(0, so.length() - 4000)));
            }
            Thread.sleep(50);
        }
    }
}

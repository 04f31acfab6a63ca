package io.citusmigrate.steps;

import io.citusmigrate.copy.Progress;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A bar per table on a terminal; plain periodic lines when output is not a terminal. */
final class ProgressReporter implements Progress {
    private static final long LINE_EVERY_NANOS = 5_000_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private final Map<String, ProgressBar> bars = new ConcurrentHashMap<>();
    private final Map<String, long[]> counts = new ConcurrentHashMap<>(); // rows, expected, last print, start
    private final AtomicLong lastLine = new AtomicLong(System.nanoTime());

    ProgressReporter(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static ProgressReporter forConsole(PrintWriter out) {
        return new ProgressReporter(out, System.console() != null && System.getenv("CI") == null);
    }

    @Override
    public void start(String table, long expectedRows) {
        if (terminal) {
            bars.put(table, new ProgressBarBuilder().setTaskName(table).setInitialMax(Math.max(expectedRows, 1))
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" rows", 1).showSpeed().build());
        } else {
            counts.put(table, new long[] {0, expectedRows, System.nanoTime(), System.nanoTime()});
            line("copying " + table + " (about " + expectedRows + " rows)");
        }
    }

    @Override
    public void advance(String table, long rows, long bytes) {
        if (terminal) {
            ProgressBar b = bars.get(table);
            if (b != null) b.stepBy(rows);
            return;
        }
        long[] c = counts.get(table);
        if (c == null) return;
        synchronized (c) {
            c[0] += rows;
        }
        long now = System.nanoTime();
        long last = lastLine.get();
        if (now - last >= LINE_EVERY_NANOS && lastLine.compareAndSet(last, now)) {
            StringBuilder b = new StringBuilder("progress:");
            counts.forEach((t, x) -> b.append(' ').append(t).append(' ').append(x[0]).append(x[1] > 0 ? "/" + x[1] : "").append(" rows;"));
            line(b.toString());
        }
    }

    @Override
    public void finish(String table) {
        if (terminal) {
            ProgressBar b = bars.remove(table);
            if (b != null) {
                b.maxHint(b.getCurrent());
                b.close();
            }
            return;
        }
        long[] c = counts.remove(table);
        if (c != null) line("copied " + table + ": " + c[0] + " rows in " + String.format("%.1f", (System.nanoTime() - c[3]) / 1e9) + " s");
    }

    private synchronized void line(String s) {
        out.println(s);
        out.flush();
    }
}

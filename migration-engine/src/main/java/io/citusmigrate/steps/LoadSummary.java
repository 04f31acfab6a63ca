package io.citusmigrate.steps;

import io.citusmigrate.copy.TableResult;
import io.citusmigrate.verify.Verifier;

import java.io.PrintWriter;
import java.util.List;

/** The bulk load's summary table: one row per table, then the totals. */
final class LoadSummary {
    private LoadSummary() {}

    static void print(PrintWriter out, List<TableResult> results, List<Verifier.TableCheck> checks) {
        int w = Math.max(5, results.stream().mapToInt(r -> r.table().length()).max().orElse(5));
        String fmt = "%-" + w + "s  %12s  %12s  %9s  %14s  %8s  %s%n";
        out.println();
        out.printf(fmt, "TABLE", "ROWS READ", "WRITTEN", "REJECTED", "BYTES", "SECONDS", "VERIFIED");
        long read = 0, written = 0, rejected = 0, bytes = 0;
        for (TableResult r : results) {
            String verified = checks.stream().filter(c -> c.table().equals(r.table())).findFirst()
                    .map(c -> c.ok() ? "ok" : "FAILED: " + c.problem()).orElse("-");
            out.printf(fmt, r.table(), r.read(), r.written(), r.rejected(), r.bytes(), String.format("%.1f", r.seconds()), verified);
            read += r.read();
            written += r.written();
            rejected += r.rejected();
            bytes += r.bytes();
        }
        out.printf(fmt, "total", read, written, rejected, bytes, "", "");
        out.println();
    }
}

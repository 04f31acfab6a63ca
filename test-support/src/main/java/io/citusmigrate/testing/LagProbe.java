package io.citusmigrate.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

/**
 * A stream's lag, finer than its heartbeat (for benchmarks): each second the example's first
 * company gets a new name on the source, and the target is polled every 10 ms until it has it;
 * each probe's seconds from its commit.
 */
public final class LagProbe {
    private LagProbe() {}

    /** Until {@code deadline} (System.nanoTime()), adding each probe's seconds to {@code out}; the last one, still on its way, is not counted. */
    public static void run(EmbeddedPg source, String db, CitusTarget target, String schema, long deadline, List<Double> out) {
        try (Connection src = source.connect(db); Connection tgt = target.connect();
             PreparedStatement set = src.prepareStatement("UPDATE companies SET name = ? WHERE id = (SELECT min(id) FROM companies)");
             PreparedStatement get = tgt.prepareStatement("SELECT name FROM \"" + schema + "\".companies WHERE id = (SELECT min(id) FROM \""
                     + schema + "\".companies)")) {
            src.setAutoCommit(true);
            for (int n = 0; System.nanoTime() < deadline; n++) {
                String value = "lag probe " + n;
                set.setString(1, value);
                set.executeUpdate();
                long committed = System.nanoTime();
                while (true) {
                    if (System.nanoTime() > deadline) return;
                    try (ResultSet rs = get.executeQuery()) {
                        if (rs.next() && value.equals(rs.getString(1))) break;
                    }
                    Thread.sleep(10);
                }
                out.add((System.nanoTime() - committed) / 1e9);
                long next = committed + 1_000_000_000L;
                while (System.nanoTime() < next) Thread.sleep(5);
            }
        } catch (Exception e) {
            System.out.println("lag probe stopped: " + e.getMessage());
        }
    }
}

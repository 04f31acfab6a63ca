package io.citusmigrate.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The demo's application: small transactions on the example schema at a steady rate, the way a
 * multi-tenant product writes: clicks and impressions recorded, impressions updated, clicks
 * deleted, ads edited, new tenants signing up (a company with a campaign and an ad), and tenant
 * moves (an ad to another campaign, a campaign to another company). It runs until it is stopped,
 * or until `cutover --stop-writes` ends its session, which is how its writes stop.
 */
public final class DemoApplication implements Runnable {
    private final Supplier<Connection> connect;
    private final int ratePerSecond;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong moves = new AtomicLong();
    private final AtomicLong tenants = new AtomicLong();
    private volatile String stoppedBy;

    public DemoApplication(Supplier<Connection> connect, int ratePerSecond) {
        this.connect = connect;
        this.ratePerSecond = ratePerSecond;
    }

    @Override
    public void run() {
        Random random = new Random(7);
        try (Connection c = connect.get()) {
            c.setAutoCommit(false);
            long n = 0;
            long start = System.nanoTime();
            while (running.get()) {
                long[] max = max(c);
                int dice = random.nextInt(100);
                if (dice < 40) {
                    exec(c, "INSERT INTO clicks (ad_id, clicked_at, site_url, user_ip, user_data) VALUES (?, now(), 'https://demo.example.com',"
                            + " '10.9.8.7', '{\"demo\": true}')", pick(random, max[2]));
                } else if (dice < 55) {
                    exec(c, "INSERT INTO impressions (ad_id, seen_at, site_url, user_ip, user_data) VALUES (?, now(), 'https://demo.example.com',"
                            + " '10.9.8.7', '{\"demo\": true}')", pick(random, max[2]));
                } else if (dice < 75) {
                    exec(c, "UPDATE impressions SET site_url = site_url || '#seen' WHERE id = ?", pick(random, max[3]));
                } else if (dice < 85) {
                    exec(c, "DELETE FROM clicks WHERE id = ?", pick(random, max[4]));
                } else if (dice < 92) {
                    exec(c, "UPDATE ads SET name = name || '*', updated_at = now() WHERE id = ?", pick(random, max[2]));
                } else if (dice < 95) {
                    signUp(c);
                    tenants.incrementAndGet();
                } else if (dice < 98) {
                    exec2(c, "UPDATE ads SET campaign_id = ? WHERE id = ?", pick(random, max[1]), pick(random, max[2]));
                    moves.incrementAndGet();
                } else {
                    exec2(c, "UPDATE campaigns SET company_id = ? WHERE id = ?", pick(random, max[0]), pick(random, max[1]));
                    moves.incrementAndGet();
                }
                c.commit();
                transactions.incrementAndGet();
                n++;
                long wait = start + n * 1_000_000_000L / ratePerSecond - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        } catch (SQLException | RuntimeException e) {
            if (running.get()) stoppedBy = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The highest ids of companies, campaigns, ads, impressions and clicks, read once a second. */
    private long[] maxCache;
    private long maxAt;

    private long[] max(Connection c) throws SQLException {
        if (maxCache == null || System.currentTimeMillis() - maxAt > 1000) {
            try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT max(id) FROM companies), (SELECT max(id) FROM campaigns),"
                    + " (SELECT max(id) FROM ads), (SELECT max(id) FROM impressions), (SELECT max(id) FROM clicks)");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                maxCache = new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)};
            }
            maxAt = System.currentTimeMillis();
        }
        return maxCache;
    }

    private static long pick(Random random, long max) {
        return max <= 1 ? 1 : 1 + (long) (random.nextDouble() * max);
    }

    private static void signUp(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("WITH co AS (INSERT INTO companies (name, created_at, updated_at)"
                + " VALUES ('New tenant', now(), now()) RETURNING id),"
                + " ca AS (INSERT INTO campaigns (company_id, name, cost_model, state, created_at, updated_at)"
                + " SELECT id, 'Launch', 'cost_per_click', 'running', now(), now() FROM co RETURNING id)"
                + " INSERT INTO ads (campaign_id, name, created_at, updated_at) SELECT id, 'First ad', now(), now() FROM ca")) {
            ps.executeUpdate();
        }
    }

    private static void exec(Connection c, String sql, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
    }

    private static void exec2(Connection c, String sql, long a, long b) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, a);
            ps.setLong(2, b);
            ps.executeUpdate();
        }
    }

    public void stop() {
        running.set(false);
    }

    public long transactions() {
        return transactions.get();
    }

    public long moves() {
        return moves.get();
    }

    public long newTenants() {
        return tenants.get();
    }

    /** Why it stopped on its own (its session ended by the cutover), or null. */
    public String stoppedBy() {
        return stoppedBy;
    }
}

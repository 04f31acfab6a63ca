package io.citusmigrate.bench;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.example.ExampleData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test. A live migration of the generated example while an application writes to the
 * source at a steady rate: the bulk load, streaming, then `cutover --stop-writes`. It reports the
 * stream's apply rate and lag (p50/p99 of what `migrate` measures with its heartbeats, sampled
 * every second from the target), how long the cutover takes (the write downtime), and whether
 * `verify` agrees afterwards.
 *
 * <p>The application's transactions: a click inserted, an impression updated, a click deleted;
 * with {@code --moves}, also 1% of transactions move a campaign to another company and 4% move an
 * ad to another campaign (tenant moves, descendants along). With {@code --toast P}, P% of the ads
 * get a large target_url (stored out of line) before the run.
 *
 * <p>With {@code --kill bulk}, {@code migrate} is killed with SIGKILL once the bulk load has copied
 * its first table; with {@code --kill stream}, halfway through the streaming time. Then
 * {@code migrate FILE} is run again as a user would, and the {@code migrate FILE --resume} it
 * advises, and the run goes on.
 *
 * <pre>java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.LiveBenchmark [--scale 0.2] [--rate 200] [--stream-seconds 20] [--moves] [--toast 2] [--catch-up-wait 120] [--cut-over-at 10] [--cutover-timeout 300] [--kill bulk|stream] [--big-transaction ROWS] [--big-update ROWS] [--record benchmark/RESULTS.md]</pre>
 */
public final class LiveBenchmark {
    /** The lag's p50/p99/max once the bulk load's backlog is drained: from the first sample under a second after one over it. */
    static String afterCatchUp(java.util.List<Double> lags) {
        // the stream's first samples may read 0 before it has fallen behind: from the first under a second after it was behind
        int from = 0;
        while (from < lags.size() && lags.get(from) < 1.0) from++;
        if (from == lags.size()) from = 0;
        while (from < lags.size() && lags.get(from) >= 1.0) from++;
        if (from == lags.size()) return "never under 1 s";
        java.util.List<Double> after = lags.subList(from, lags.size());
        return String.format(Locale.ROOT, "p50 %.2f s, p99 %.2f s, max %.2f s (%d samples, from %d s in)", percentile(after, 50), percentile(after, 99),
                percentile(after, 100), after.size(), from);
    }

    public static void main(String[] args) throws Exception {
        double scale = 0.2;
        int rate = 200; // transactions per second, 3 row changes each
        int streamSeconds = 20;
        Path record = null;
        boolean moves = false;
        int toastPercent = 0;
        int catchUpWait = 120;
        double cutOverAt = 10; // cut over once `status` estimates a catch-up of at most this many seconds (and --max-lag that)
        String kill = null; // bulk | stream: kill -9 migrate then, and run what it advises
        int cutoverTimeout = 300;
        long bigTransaction = 0; // rows inserted in one source transaction once streaming, timed until all are on the target
        long bigUpdate = 0; // rows inserted before the bulk load, then updated in one source transaction once streaming
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--big-transaction")) bigTransaction = Long.parseLong(args[++i]);
            if (args[i].equals("--big-update")) bigUpdate = Long.parseLong(args[++i]);
            if (args[i].equals("--catch-up-wait")) catchUpWait = Integer.parseInt(args[++i]);
            if (args[i].equals("--moves")) moves = true;
            if (args[i].equals("--toast")) toastPercent = Integer.parseInt(args[++i]);
            if (args[i].equals("--scale")) scale = Double.parseDouble(args[++i]);
            if (args[i].equals("--rate")) rate = Integer.parseInt(args[++i]);
            if (args[i].equals("--stream-seconds")) streamSeconds = Integer.parseInt(args[++i]);
            if (args[i].equals("--record")) record = Path.of(args[++i]);
            if (args[i].equals("--kill")) kill = args[++i];
            if (args[i].equals("--cutover-timeout")) cutoverTimeout = Integer.parseInt(args[++i]);
            if (args[i].equals("--cut-over-at")) cutOverAt = Double.parseDouble(args[++i]);
        }
        if (!Files.exists(Path.of("cli/target/citus-migrate.jar"))) throw new IllegalStateException("build first: mvn -B -Pbench -DskipTests package");
        try (EmbeddedPg sourcePg = EmbeddedPg.start(); EmbeddedPg targetPg = EmbeddedPg.start(); CitusTarget citus = CitusTarget.open(targetPg)) {
            String db = sourcePg.createDatabase("live");
            ExampleData.Counts counts;
            try (Connection c = sourcePg.connect(db)) {
                counts = ExampleData.generate(c, scale, 0);
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    if (bigUpdate > 0) {
                        // the rows the big UPDATE changes once streaming: copied by the bulk load
                        s.execute("INSERT INTO clicks (ad_id, clicked_at, site_url, user_ip, user_data) SELECT g % " + counts.ads() + " + 1, now(),"
                                + " 'https://to-update.example.com', '10.9.9.9', '{\"big\": true}' FROM generate_series(1, " + bigUpdate + ") g");
                    }
                    if (toastPercent > 0) {
                        // barely compressible text: stored out of line
                        s.execute("UPDATE ads SET target_url = id || ':' || (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 200) g)"
                                + " WHERE id % " + Math.max(1, 100 / toastPercent) + " = 0");
                    }
                    s.execute("VACUUM (ANALYZE)");
                }
            }
            String schema = citus.newSchema("live");
            Path dir = Files.createTempDirectory(Path.of("target"), "live");
            Path file = dir.resolve("live.load");
            Files.writeString(file, """
                    load database from %s into %s
                      with include drop, reset sequences, workers = 2, slot name = 'bench_live'
                      cast column impressions.seen_at to "timestamp with time zone"
                      alter schema 'public' rename to '%s'
                      distribute companies using id;
                    """.formatted(sourcePg.url(db), citus.url(), schema));

            // the application: steady small transactions from the start (during the bulk load too)
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong txs = new AtomicLong();
            int perSecond = rate;
            long ads = counts.ads();
            long campaigns = counts.campaigns();
            long companies = counts.companies();
            boolean withMoves = moves;
            AtomicLong moved = new AtomicLong();
            Thread app = new Thread(() -> {
                try (Connection c = sourcePg.connect(db)) {
                    c.setAutoCommit(false);
                    PreparedStatement ins = c.prepareStatement("INSERT INTO clicks (ad_id, clicked_at, site_url, user_ip, user_data)"
                            + " VALUES (?, now(), 'https://live.example.com', '10.1.2.3', '{\"live\": true}')");
                    PreparedStatement upd = c.prepareStatement("UPDATE impressions SET site_url = site_url || '!' WHERE id = ?");
                    PreparedStatement del = c.prepareStatement("DELETE FROM clicks WHERE id = ?");
                    PreparedStatement moveCampaign = c.prepareStatement("UPDATE campaigns SET company_id = ? WHERE id = ?");
                    PreparedStatement moveAd = c.prepareStatement("UPDATE ads SET campaign_id = ? WHERE id = ?");
                    java.util.Random random = new java.util.Random(42);
                    long n = 0;
                    long start = System.nanoTime();
                    while (writing.get()) {
                        n++;
                        ins.setLong(1, n % ads + 1);
                        ins.executeUpdate();
                        upd.setLong(1, n * 7 % 1000 + 1);
                        upd.executeUpdate();
                        del.setLong(1, n * 13 + 1);
                        del.executeUpdate();
                        if (withMoves) {
                            int dice = random.nextInt(100);
                            if (dice == 0) {
                                moveCampaign.setLong(1, random.nextLong(companies) + 1);
                                moveCampaign.setLong(2, random.nextLong(campaigns) + 1);
                                moveCampaign.executeUpdate();
                                moved.incrementAndGet();
                            } else if (dice <= 4) {
                                moveAd.setLong(1, random.nextLong(campaigns) + 1);
                                moveAd.setLong(2, random.nextLong(ads) + 1);
                                moveAd.executeUpdate();
                                moved.incrementAndGet();
                            }
                        }
                        c.commit();
                        txs.incrementAndGet();
                        long due = start + n * 1_000_000_000L / perSecond;
                        long wait = due - System.nanoTime();
                        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                } catch (Exception e) {
                    // `cutover --stop-writes` ends this session: the application stops here
                    if (writing.get()) System.out.println("application stopped: " + e.getMessage());
                }
            });
            if (rate > 0) app.start();

            long t0 = System.nanoTime();
            Path log = dir.resolve("migrate.log");
            Process migrate = new ProcessBuilder("./citus-migrate", "migrate", file.toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            long peakKb = 0;
            StringBuilder killed = new StringBuilder();
            while (!Files.readString(log).contains("streaming changes from slot")) {
                if (!migrate.isAlive()) throw new IllegalStateException("migrate ended:\n" + Files.readString(log));
                peakKb = Math.max(peakKb, BulkLoadBenchmark.peakRssKb(migrate.pid()));
                if ("bulk".equals(kill) && killed.length() == 0 && Files.readString(log).contains("copied ")) {
                    migrate = killAndResume(migrate, file, dir, killed, "during the bulk load (after its first table was copied)");
                    log = dir.resolve("migrate-resumed.log");
                }
                Thread.sleep(100);
            }
            double bulkSeconds = (System.nanoTime() - t0) / 1e9;
            String big = "";
            if (bigTransaction > 0) {
                // one transaction of many rows: how fast the capture path hands it to the sink, and in how much memory
                long before = peakKb;
                long tb = System.nanoTime();
                long[] last;
                try (Connection c = sourcePg.connect(db); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO clicks (ad_id, clicked_at, site_url, user_ip, user_data) SELECT g % " + ads + " + 1, now(),"
                            + " 'https://big.example.com', '10.9.9.9', '{\"big\": true}' FROM generate_series(1, " + bigTransaction + ") g");
                    // inserted in id order: the row with the highest id is the transaction's last change
                    last = lastClick(c, "SELECT max(id) FROM clicks WHERE site_url = 'https://big.example.com'");
                }
                double committed = (System.nanoTime() - tb) / 1e9;
                long tc = System.nanoTime();
                long peakDuring;
                try (Connection target = citus.connect()) {
                    peakDuring = awaitApplied(target, schema, last, "https://big.example.com", bigTransaction, migrate, log);
                }
                double applied = (System.nanoTime() - tc) / 1e9;
                peakKb = Math.max(peakKb, peakDuring);
                big = String.format(Locale.ROOT, "one transaction of %d inserted rows (committed in %.1f s): all on the target %.1f s after its"
                        + " commit, %.0f rows/s; peak RSS of migrate while it streamed %d MB (%d MB before it)", bigTransaction, committed, applied,
                        bigTransaction / applied, peakDuring / 1024, before / 1024);
                System.out.println(big);
            }
            if (bigUpdate > 0) {
                // one transaction updating many rows (a new site_url, the rest as it was): before and after images both travel
                long before = BulkLoadBenchmark.peakRssKb(migrate.pid());
                long[] last;
                long tb;
                try (Connection c = sourcePg.connect(db); Statement s = c.createStatement()) {
                    // the UPDATE's scan reads the table in physical order: the row at the highest ctid is its last change
                    last = lastClick(c, "SELECT id FROM clicks WHERE site_url = 'https://to-update.example.com' ORDER BY ctid DESC LIMIT 1");
                    tb = System.nanoTime();
                    s.execute("UPDATE clicks SET site_url = 'https://updated.example.com' WHERE site_url = 'https://to-update.example.com'");
                }
                double committed = (System.nanoTime() - tb) / 1e9;
                long tc = System.nanoTime();
                long peakDuring;
                try (Connection target = citus.connect()) {
                    peakDuring = awaitApplied(target, schema, last, "https://updated.example.com", bigUpdate, migrate, log);
                }
                double applied = (System.nanoTime() - tc) / 1e9;
                peakKb = Math.max(peakKb, peakDuring);
                String line = String.format(Locale.ROOT, "one transaction of %d updated rows (committed in %.1f s): all on the target %.1f s after its"
                        + " commit, %.0f rows/s; peak RSS of migrate while it streamed %d MB (%d MB before it)", bigUpdate, committed, applied,
                        bigUpdate / applied, peakDuring / 1024, before / 1024);
                System.out.println(line);
                big = big.isEmpty() ? line : big + "\n- " + line;
            }
            long deadline = System.nanoTime() + streamSeconds * 1_000_000_000L;
            // finer than the heartbeat: a probe written to the source each second, timed until the target has it
            java.util.List<Double> probes = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Thread prober = new Thread(() -> io.citusmigrate.testing.LagProbe.run(sourcePg, db, citus, schema, deadline, probes), "lag-probe");
            prober.setDaemon(true);
            prober.start();
            java.util.List<Double> lags = new java.util.ArrayList<>();
            java.util.List<Double> rates = new java.util.ArrayList<>();
            long appliedAtStart = -1;
            long appliedAtEnd = 0;
            long tStreamStart = System.nanoTime();
            long nextSample = System.nanoTime() + 1_000_000_000L;
            try (Connection target = citus.connect(); PreparedStatement st = target.prepareStatement(
                    "SELECT lag_seconds, rate, applied FROM citus_migrate.live_status WHERE slot = 'bench_live' AND updated_at > now() - interval '3 s'")) {
                while (System.nanoTime() < deadline) {
                    if ("stream".equals(kill) && killed.length() == 0 && System.nanoTime() > deadline - streamSeconds * 500_000_000L) {
                        migrate = killAndResume(migrate, file, dir, killed, "while streaming, " + streamSeconds / 2 + " s in");
                        while (!Files.readString(dir.resolve("migrate-resumed.log")).contains("streaming changes from slot")) {
                            if (!migrate.isAlive()) throw new IllegalStateException("the resumed migrate ended:\n" + Files.readString(dir.resolve("migrate-resumed.log")));
                            Thread.sleep(100);
                        }
                        killed.append("; streaming again ").append(String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - resumedAt) / 1e9))
                                .append(" after the kill");
                    }
                    peakKb = Math.max(peakKb, BulkLoadBenchmark.peakRssKb(migrate.pid()));
                    if (System.nanoTime() >= nextSample) {
                        nextSample += 1_000_000_000L;
                        try (java.sql.ResultSet rs = st.executeQuery()) {
                            if (rs.next()) {
                                lags.add(rs.getDouble(1));
                                rates.add(rs.getDouble(2));
                                if (appliedAtStart < 0) appliedAtStart = rs.getLong(3);
                                appliedAtEnd = rs.getLong(3);
                            }
                        } catch (java.sql.SQLException e) {
                            // the status table appears with the first report
                        }
                    }
                    Thread.sleep(100);
                }
            }
            double streamedSeconds = (System.nanoTime() - tStreamStart) / 1e9;
            prober.join(120_000);

            // as a user would: cut over once `status` says catching up takes at most --cut-over-at seconds (up to --catch-up-wait, then regardless);
            // a cutover refused because its own estimate is over --max-lag stops nothing, and is tried again a second later
            long waitStart = System.nanoTime();
            boolean caughtUp = false;
            int refused = 0;
            double waitedSeconds;
            long tStop;
            Process cutover;
            int cutoverCode;
            // (the estimate `status` and `cutover` make: seconds behind over seconds of the source's writes applied per second)
            try (Connection target = citus.connect(); PreparedStatement st = target.prepareStatement("SELECT lag_seconds = 0 OR lag_bytes = 0"
                    + " OR (pace > 0 AND lag_seconds / pace <= ?) OR (pace = 0 AND bytes_per_second > 0 AND lag_bytes / bytes_per_second <= ?)"
                    + " FROM citus_migrate.live_status WHERE slot = 'bench_live'")) {
                st.setDouble(1, cutOverAt);
                st.setDouble(2, cutOverAt);
                while (true) {
                    caughtUp = false;
                    while (System.nanoTime() - waitStart < catchUpWait * 1_000_000_000L) {
                        try (java.sql.ResultSet rs = st.executeQuery()) {
                            if (rs.next() && rs.getBoolean(1)) {
                                caughtUp = true;
                                break;
                            }
                        }
                        Thread.sleep(1000);
                    }
                    waitedSeconds = (System.nanoTime() - waitStart) / 1e9;
                    // `cutover --stop-writes` stops the application's writes: from its start to its end is the write downtime
                    tStop = System.nanoTime();
                    cutover = new ProcessBuilder("./citus-migrate", "cutover", file.toString(), "--stop-writes", "--max-lag", caughtUp ? String.valueOf(cutOverAt) : "off",
                            "--timeout", String.valueOf(cutoverTimeout))
                            .redirectErrorStream(true).redirectOutput(dir.resolve("cutover.log").toFile()).start();
                    cutoverCode = cutover.waitFor();
                    if (cutoverCode == 0 || !Files.readString(dir.resolve("cutover.log")).contains("cutover refused")) break;
                    refused++;
                    Thread.sleep(1000);
                }
            }
            double downtime = (System.nanoTime() - tStop) / 1e9;
            writing.set(false);
            app.join();
            try (Connection c = sourcePg.connect(db); Statement s = c.createStatement()) {
                s.execute("SET default_transaction_read_only = off");
                s.execute("ALTER DATABASE " + db + " RESET default_transaction_read_only");
            }
            if (cutoverCode != 0) {
                // the stream did not catch up within --cutover-timeout: stop it, and leave nothing on the source
                migrate.destroyForcibly();
                migrate.waitFor();
                new ProcessBuilder("./citus-migrate", "cleanup", file.toString()).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("cleanup.log").toFile()).start().waitFor();
            }
            int migrateCode = migrate.waitFor();
            String slotsLeft;
            try (Connection c = sourcePg.connect(db); Statement s = c.createStatement();
                 java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
                rs.next();
                slotsLeft = rs.getLong(1) + " replication slots left on the source";
            }
            Process verify = new ProcessBuilder("./citus-migrate", "verify", file.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("verify.log").toFile()).start();
            int verifyCode = verify.waitFor();
            System.out.println(Files.readString(dir.resolve("migrate.log")));
            if (killed.length() > 0) System.out.println(Files.readString(dir.resolve("migrate-resumed.log")));
            System.out.println(Files.readString(dir.resolve("cutover.log")));
            System.out.println(Files.readString(dir.resolve("verify.log")));

            String report = String.format(Locale.ROOT, """
                    ### %s, live migration, scale %s (%d rows), %d transactions/s of 3 row changes each%s
                    - machine: %s
                    - target: %s
                    - command: `mvn -B -Pbench -DskipTests package && CITUS_URL=... java -cp benchmark/target/benchmark.jar io.citusmigrate.bench.LiveBenchmark --scale %s --rate %d --stream-seconds %d%s`
                    - bulk load until streaming: %.1f s, with the application writing; then %d s of streaming
                    - application transactions during the run: %d (%.0f/s)%s
                    - stream while the application writes: %d row changes applied in %.0f s (%.0f/s); lag p50 %.1f s, p99 %.1f s, max %.1f s (%d samples of `migrate`'s own measure, one a second); after catch-up (from the first sample under 1 s after one over it): %s; probes (a row updated on the source each second, polled on the target every 10 ms) after catch-up: %s
                    - waited %.0f s after that for `status` to estimate a catch-up of at most %s s%s, the application still writing
                    - write downtime (from writes stopped to `cutover --stop-writes` done: stream caught up, sequences set, foreign keys added; as `cutover` reports it): %s s; the whole command, its JVM start and estimate included: %.1f s
                    - exit codes: cutover %d, migrate %d, verify %d (0: the target equals the source); peak RSS of migrate %d MB; %s%s
                    """, LocalDate.now(), scale, counts.total(), rate,
                    (moves ? ", with tenant moves" : "") + (toastPercent > 0 ? ", " + toastPercent + "% of ads with TOASTed target_url" : ""),
                    BulkLoadBenchmark.machine(),
                    citus.description(),
                    scale, rate, streamSeconds, (moves ? " --moves" : "") + (toastPercent > 0 ? " --toast " + toastPercent : "")
                            + " --catch-up-wait " + catchUpWait + " --cut-over-at " + fmt(cutOverAt) + (kill != null ? " --kill " + kill : "")
                            + (bigTransaction > 0 ? " --big-transaction " + bigTransaction : "")
                            + (bigUpdate > 0 ? " --big-update " + bigUpdate : ""), bulkSeconds, streamSeconds, txs.get(), txs.get() / ((tStop - t0) / 1e9),
                    withMoves ? String.format(Locale.ROOT, ", %d of them tenant moves", moved.get()) : "",
                    Math.max(0, appliedAtEnd - appliedAtStart), streamedSeconds, Math.max(0, appliedAtEnd - appliedAtStart) / streamedSeconds,
                    percentile(lags, 50), percentile(lags, 99), percentile(lags, 100), lags.size(), afterCatchUp(lags), afterCatchUp(probes),
                    waitedSeconds, fmt(cutOverAt), (caughtUp ? "" : " (never reached: cut over with --max-lag off)")
                            + (refused == 0 ? "" : "; " + refused + " cutover(s) refused by their own estimate before that, nothing stopped"),
                    writesStopped(dir.resolve("cutover.log")), downtime, cutoverCode, migrateCode, verifyCode, peakKb / 1024, slotsLeft,
                    (killed.length() == 0 ? "" : "\n- migrate killed with SIGKILL " + killed) + (big.isEmpty() ? "" : "\n- " + big));
            System.out.println(report);
            if (record != null) Files.writeString(record, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static long resumedAt;

    /** SIGKILL, then what a user does: run migrate again, read its advice, run the --resume it names. */
    private static Process killAndResume(Process migrate, Path file, Path dir, StringBuilder killed, String when) throws Exception {
        migrate.destroyForcibly();
        migrate.waitFor();
        resumedAt = System.nanoTime();
        Process again = new ProcessBuilder("./citus-migrate", "migrate", file.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("migrate-again.log").toFile()).start();
        int code = again.waitFor();
        String advice = Files.readString(dir.resolve("migrate-again.log")).strip();
        if (code == 0 || !advice.contains("--resume")) throw new IllegalStateException("migrate run again did not advise --resume:\n" + advice);
        killed.append(when).append("; `migrate FILE` run again said: \"").append(advice.lines().reduce((a, b) -> b).orElse(""))
                .append("\"; then `migrate FILE --resume`");
        return new ProcessBuilder("./citus-migrate", "migrate", file.toString(), "--resume").redirectErrorStream(true)
                .redirectOutput(dir.resolve("migrate-resumed.log").toFile()).start();
    }

    /** What `cutover` says of how long writes were stopped ("writes stopped for the last 1.2 s of it"); "?" when it does not say. */
    private static String writesStopped(Path cutoverLog) throws java.io.IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("writes stopped for the last ([0-9.]+) s").matcher(Files.readString(cutoverLog));
        return m.find() ? m.group(1) : "?";
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    static double percentile(java.util.List<Double> values, int p) {
        if (values.isEmpty()) return Double.NaN;
        java.util.List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1 < 0 ? 0
                : (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** The tenant key and id of the click that {@code idQuery} names, on the source: where a probe finds it on the target. */
    private static long[] lastClick(Connection source, String idQuery) throws java.sql.SQLException {
        try (Statement s = source.createStatement(); java.sql.ResultSet rs = s.executeQuery(idQuery)) {
            rs.next();
            long id = rs.getLong(1);
            try (PreparedStatement ps = source.prepareStatement("SELECT ca.company_id FROM clicks cl JOIN ads a ON a.id = cl.ad_id"
                    + " JOIN campaigns ca ON ca.id = a.campaign_id WHERE cl.id = ?")) {
                ps.setLong(1, id);
                try (java.sql.ResultSet r = ps.executeQuery()) {
                    r.next();
                    return new long[] {r.getLong(1), id};
                }
            }
        }
    }

    /**
     * Waits until the target has {@code rows} clicks with this site_url; returns the peak RSS of
     * migrate meanwhile. It looks first for the transaction's last change, by its tenant key every
     * 50 ms (one shard), then counts: a count over every shard every 200 ms took a good part of
     * the two cores from the stream it timed. The count decides.
     */
    private static long awaitApplied(Connection target, String schema, long[] last, String siteUrl, long rows, Process migrate, Path log)
            throws Exception {
        long peak = 0;
        try (PreparedStatement probe = target.prepareStatement("SELECT site_url FROM \"" + schema + "\".clicks WHERE company_id = ? AND id = ?");
             PreparedStatement count = target.prepareStatement("SELECT count(*) FROM \"" + schema + "\".clicks WHERE site_url = ?")) {
            probe.setLong(1, last[0]);
            probe.setLong(2, last[1]);
            count.setString(1, siteUrl);
            boolean lastSeen = false;
            while (true) {
                peak = Math.max(peak, BulkLoadBenchmark.peakRssKb(migrate.pid()));
                if (!lastSeen) {
                    try (java.sql.ResultSet rs = probe.executeQuery()) {
                        lastSeen = rs.next() && siteUrl.equals(rs.getString(1));
                    }
                }
                if (lastSeen) {
                    try (java.sql.ResultSet rs = count.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) >= rows) return peak;
                    }
                }
                if (!migrate.isAlive()) throw new IllegalStateException("migrate ended:\n" + Files.readString(log));
                Thread.sleep(lastSeen ? 200 : 50);
            }
        }
    }
}

package io.citusmigrate.demo;

import io.citusmigrate.UserError;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.load.ConnectionUrl;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * `citus-migrate demo`: a live migration to watch, needing nothing but Java. An embedded source
 * PostgreSQL with the example multi-tenant data, an application writing to it, then `migrate`
 * (bulk load, streaming), `cutover --stop-writes`, `verify`, and the figures. The commands run
 * through {@link Commands}: this module does not know the command line.
 */
public record DemoRun(DemoRun.Settings s, DemoRun.Commands commands, DemoRun.Lag lag, PrintWriter out, PrintWriter err) {
    public static final String SLOT = "citus_migrate_demo";

    /** The citus-migrate command line, run in this process with the writers given. */
    public interface Commands {
        int run(PrintWriter out, PrintWriter err, String... args);
    }

    /** How far behind the source the running migrate last said it was, in seconds; null before its first report. */
    public interface Lag {
        Double seconds(Connection target, String slot) throws SQLException;
    }

    /** The demo's options: see `citus-migrate demo --help`. */
    public record Settings(String target, double scale, int rate, int streamSeconds, boolean keep) {}

    /** True when the target verified equal to the source. */
    public boolean run() throws Exception {
        Path work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "citus-migrate-demo-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (DemoServers servers = DemoServers.start(work, s.target(), out)) {
            servers.keep(s.keep());
            long orphanEvery = Math.max(2, ExampleData.counts(s.scale()).clicks() / 5); // a few orphans, skipped to a reject file
            ExampleData.Counts counts;
            try (Connection c = servers.source()) {
                counts = ExampleData.generate(c, s.scale(), orphanEvery);
            }
            out.printf("source: the example data, %d rows (companies %d, campaigns %d, ads %d, clicks %d, impressions %d), %d of them"
                            + " orphan clicks with no ad%n", counts.total(), counts.companies(), counts.campaigns(), counts.ads(), counts.clicks(),
                    counts.impressions(), counts.clicks() / orphanEvery);
            Path file = commandFile(work, servers);
            out.println("command file: " + file + (s.keep() ? "" : " (removed at the end; --keep keeps it)"));

            DemoApplication app = new DemoApplication(servers::sourceConnection, s.rate());
            Thread appThread = new Thread(app, "demo-application");
            appThread.start();
            out.printf("application: writing about %d transactions/s (clicks, impressions, edits, new tenants, tenant moves)%n", s.rate());
            out.flush();

            StringWriter said = new StringWriter();
            PrintWriter migrateOut = new PrintWriter(new Tee(out, said), true);
            List<String> args = new ArrayList<>(List.of("migrate", file.toString()));
            if (servers.rehearsal()) args.add("--rehearsal");
            CompletableFuture<Integer> migrate = CompletableFuture.supplyAsync(() -> commands.run(migrateOut, migrateOut, args.toArray(String[]::new)));
            while (!said.toString().contains("streaming changes from slot")) {
                if (migrate.isDone()) throw new UserError("the demo's migration stopped before streaming (exit " + migrate.get() + "); see above");
                Thread.sleep(200);
            }
            long tStream = System.nanoTime();
            List<Double> lags = new ArrayList<>();
            try (Connection t = servers.targetConnection()) {
                while (System.nanoTime() - tStream < s.streamSeconds() * 1_000_000_000L) {
                    Thread.sleep(1000);
                    Double seconds = lag.seconds(t, SLOT);
                    if (seconds != null) lags.add(seconds);
                }
            }

            long tCut = System.nanoTime();
            PrintWriter cutPrint = new PrintWriter(out, true);
            int cutCode = commands.run(cutPrint, cutPrint, "cutover", file.toString(), "--stop-writes", "--max-lag", "off", "--timeout", "300");
            double downtime = (System.nanoTime() - tCut) / 1e9;
            app.stop();
            appThread.join(10_000);
            servers.sourceWritable();
            int migrateCode = migrate.get(120, TimeUnit.SECONDS);
            if (cutCode != 0 || migrateCode != 0) throw new UserError("the demo's cutover failed (cutover " + cutCode + ", migrate " + migrateCode + ")");

            int verifyCode = commands.run(out, err, "verify", file.toString());
            out.println();
            out.println("demo figures:");
            out.printf(Locale.ROOT, "  rows loaded:            %d, %d orphans skipped to a reject file%s%n", counts.total() - counts.clicks() / orphanEvery,
                    counts.clicks() / orphanEvery, s.keep() ? " in " + work.resolve("rejects") : " (--keep keeps it)");
            out.printf(Locale.ROOT, "  application:            %d transactions (%d tenant moves, %d new tenants)%n", app.transactions(), app.moves(),
                    app.newTenants());
            out.printf(Locale.ROOT, "  streamed for:           %.0f s before the cutover; lag p50 %.1f s, max %.1f s%n", (tCut - tStream) / 1e9,
                    percentile(lags, 50), percentile(lags, 100));
            out.println("  target:                 " + (servers.rehearsal()
                    ? "an embedded PostgreSQL in rehearsal mode: nothing was distributed; run with --target <a Citus coordinator> for the real thing"
                    : ConnectionUrl.parse(servers.targetUrl()) + ", schema " + DemoServers.SCHEMA));
            out.printf("  verification:           %s%n", verifyCode == 0 ? "equal (every table, by checksum)" : "DIFFERENT (see above)");
            out.printf(Locale.ROOT, "  write downtime:         %.1f s (cutover --stop-writes: writes stopped, stream caught up, sequences set,"
                    + " foreign keys added)%n", downtime);
            out.flush();
            return verifyCode == 0;
        } finally {
            if (!s.keep()) deleteTree(work);
            else out.println("kept: " + work);
            out.flush();
        }
    }

    private Path commandFile(Path work, DemoServers servers) throws IOException {
        Path file = work.resolve("demo.load");
        Files.writeString(file, """
                -- written by citus-migrate demo
                load database
                   from %s
                   into %s
                   with include drop, reset sequences, on orphan rows skip, reject directory = '%s',
                        slot name = '%s', workers = 2
                   alter schema 'public' rename to '%s'
                   distribute companies using id;
                """.formatted(servers.sourceUrl(), servers.targetUrl(), work.resolve("rejects"), SLOT, DemoServers.SCHEMA));
        return file;
    }

    private static double percentile(List<Double> values, int p) {
        if (values.isEmpty()) return 0;
        List<Double> sorted = values.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static void deleteTree(Path dir) {
        try (var all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the system cleans it eventually
        }
    }
}

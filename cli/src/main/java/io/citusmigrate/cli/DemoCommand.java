package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.demo.DemoApplication;
import io.citusmigrate.demo.DemoServers;
import io.citusmigrate.example.ExampleData;
import io.citusmigrate.live.LiveProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code citus-migrate demo}: a live migration to watch, needing nothing but Java. An embedded
 * source PostgreSQL with the example multi-tenant data, an application writing to it, then
 * `migrate` (bulk load, streaming), `cutover --stop-writes`, `verify`, and the figures.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a whole live migration of the example multi-tenant data, with an application writing, on this machine.")
final class DemoCommand implements Callable<Integer> {
    static final String SCHEMA = DemoServers.SCHEMA;
    static final String SLOT = "citus_migrate_demo";

    @CommandLine.Option(names = "--target", paramLabel = "URL",
            description = "a Citus coordinator database (postgresql://user:password@host:port/db) to migrate into, in the schema "
                    + SCHEMA + "; without it, an embedded PostgreSQL in rehearsal mode (nothing is distributed there)")
    String target;

    @CommandLine.Option(names = "--scale", defaultValue = "0.02", description = "size of the example data: 1 is about 3M rows (default: ${DEFAULT-VALUE})")
    double scale;

    @CommandLine.Option(names = "--rate", paramLabel = "TX_PER_S", defaultValue = "50",
            description = "the application's transactions per second (default: ${DEFAULT-VALUE})")
    int rate;

    @CommandLine.Option(names = "--stream-seconds", defaultValue = "15",
            description = "how long to stream with the application writing before the cutover (default: ${DEFAULT-VALUE})")
    int streamSeconds;

    @CommandLine.Option(names = "--keep", description = "keep the work directory (command file, rejects) and, with --target, the migrated schema")
    boolean keep;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (scale <= 0 || rate <= 0 || streamSeconds < 0) throw new io.citusmigrate.BadInput("--scale and --rate must be positive, --stream-seconds not negative");
        Path work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "citus-migrate-demo-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        boolean ok = false;
        try (DemoServers servers = DemoServers.start(work, target, out)) {
            servers.keep(keep);
            long orphanEvery = Math.max(2, ExampleData.counts(scale).clicks() / 5); // a few orphans, skipped to a reject file
            ExampleData.Counts counts;
            try (Connection c = servers.source()) {
                counts = ExampleData.generate(c, scale, orphanEvery);
            }
            out.printf("source: the example data, %d rows (companies %d, campaigns %d, ads %d, clicks %d, impressions %d), %d of them"
                            + " orphan clicks with no ad%n", counts.total(), counts.companies(), counts.campaigns(), counts.ads(), counts.clicks(),
                    counts.impressions(), counts.clicks() / orphanEvery);
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
                    """.formatted(servers.sourceUrl(), servers.targetUrl(), work.resolve("rejects"), SLOT, SCHEMA));
            out.println("command file: " + file + (keep ? "" : " (removed at the end; --keep keeps it)"));

            DemoApplication app = new DemoApplication(servers::sourceConnection, rate);
            Thread appThread = new Thread(app, "demo-application");
            appThread.start();
            out.printf("application: writing about %d transactions/s (clicks, impressions, edits, new tenants, tenant moves)%n", rate);
            out.flush();

            StringWriter said = new StringWriter();
            PrintWriter migrateOut = new PrintWriter(new Tee(out, said), true);
            List<String> args = new ArrayList<>(List.of("migrate", file.toString()));
            if (servers.rehearsal()) args.add("--rehearsal");
            CompletableFuture<Integer> migrate = CompletableFuture.supplyAsync(() -> {
                CommandLine cl = Main.commandLine();
                cl.setOut(migrateOut);
                cl.setErr(migrateOut);
                return cl.execute(args.toArray(String[]::new));
            });
            while (!said.toString().contains("streaming changes from slot")) {
                if (migrate.isDone()) throw new UserError("the demo's migration stopped before streaming (exit " + migrate.get() + "); see above");
                Thread.sleep(200);
            }
            long tStream = System.nanoTime();
            List<Double> lags = new ArrayList<>();
            try (Connection t = servers.targetConnection()) {
                while (System.nanoTime() - tStream < streamSeconds * 1_000_000_000L) {
                    Thread.sleep(1000);
                    LiveProgress.Status st = LiveProgress.read(t, SLOT);
                    if (st != null) lags.add(st.lagSeconds());
                }
            }

            long tCut = System.nanoTime();
            StringWriter cutOut = new StringWriter();
            CommandLine cut = Main.commandLine();
            PrintWriter cutPrint = new PrintWriter(new Tee(out, cutOut), true);
            cut.setOut(cutPrint);
            cut.setErr(cutPrint);
            int cutCode = cut.execute("cutover", file.toString(), "--stop-writes", "--max-lag", "off", "--timeout", "300");
            double downtime = (System.nanoTime() - tCut) / 1e9;
            app.stop();
            appThread.join(10_000);
            servers.sourceWritable();
            int migrateCode = migrate.get(120, TimeUnit.SECONDS);
            if (cutCode != 0 || migrateCode != 0) throw new UserError("the demo's cutover failed (cutover " + cutCode + ", migrate " + migrateCode + ")");

            CommandLine verify = Main.commandLine();
            verify.setOut(out);
            verify.setErr(err);
            int verifyCode = verify.execute("verify", file.toString());
            double appSeconds = (tCut - tStream) / 1e9;
            out.println();
            out.println("demo figures:");
            out.printf(Locale.ROOT, "  rows loaded:            %d, %d orphans skipped to a reject file%s%n", counts.total() - counts.clicks() / orphanEvery,
                    counts.clicks() / orphanEvery, keep ? " in " + work.resolve("rejects") : " (--keep keeps it)");
            out.printf(Locale.ROOT, "  application:            %d transactions (%d tenant moves, %d new tenants)%n", app.transactions(), app.moves(),
                    app.newTenants());
            out.printf(Locale.ROOT, "  streamed for:           %.0f s before the cutover; lag p50 %.1f s, max %.1f s%n", appSeconds,
                    percentile(lags, 50), percentile(lags, 100));
            out.println("  target:                 " + (servers.rehearsal()
                    ? "an embedded PostgreSQL in rehearsal mode: nothing was distributed; run with --target <a Citus coordinator> for the real thing"
                    : io.citusmigrate.load.ConnectionUrl.parse(servers.targetUrl()) + ", schema " + SCHEMA));
            out.printf("  verification:           %s%n", verifyCode == 0 ? "equal (every table, by checksum)" : "DIFFERENT (see above)");
            out.printf(Locale.ROOT, "  write downtime:         %.1f s (cutover --stop-writes: writes stopped, stream caught up, sequences set,"
                    + " foreign keys added)%n", downtime);
            out.flush();
            ok = verifyCode == 0;
            return ok ? Main.OK : Main.FAILED;
        } finally {
            if (!keep) deleteTree(work);
            else out.println("kept: " + work);
            out.flush();
        }
    }

    private static double percentile(List<Double> values, int p) {
        if (values.isEmpty()) return 0;
        List<Double> sorted = values.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static void deleteTree(Path dir) {
        try (var all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the system cleans it eventually
        }
    }

    /** Writes to two places: the console, and a buffer the demo watches. */
    private static final class Tee extends Writer {
        private final Writer a;
        private final Writer b;

        Tee(Writer a, Writer b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(char[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

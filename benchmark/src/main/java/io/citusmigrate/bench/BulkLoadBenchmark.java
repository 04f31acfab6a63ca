package io.citusmigrate.bench;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.Projection;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import io.citusmigrate.example.ExampleData;
import org.postgresql.PGConnection;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test. Times the whole bulk load (schema to verification) of the generated example
 * against a hand-written {@code COPY (join) TO STDOUT | COPY ... FROM STDIN} pipe, table after
 * table, into the same target in the same run, and the tool's peak resident memory.
 *
 * <pre>java -jar benchmark/target/benchmark.jar [--scale 1] [--workers 2] [--reference-first | --runs 3] [--record benchmark/RESULTS.md]</pre>
 *
 * The tool runs first unless {@code --reference-first}; a checkpoint on every node separates the two runs.
 */
public final class BulkLoadBenchmark {
    public static void main(String[] args) throws Exception {
        double scale = 1;
        Path record = null;
        long hold = 0; // seconds to keep both servers up after the tool's run, to look around
        int workers = 2;
        String extraOptions = ""; // more WITH options for the tool's command file
        boolean referenceFirst = false; // which runs first: the second finds the cluster's WAL and caches warm
        int runs = 1; // more than one: each run the pipe, the tool, the pipe again; the median ratio
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--workers")) workers = Integer.parseInt(args[++i]);
            if (args[i].equals("--scale")) scale = Double.parseDouble(args[++i]);
            if (args[i].equals("--record")) record = Path.of(args[++i]);
            if (args[i].equals("--hold")) hold = Long.parseLong(args[++i]);
            if (args[i].equals("--reference-first")) referenceFirst = true;
            if (args[i].equals("--with")) extraOptions = ", " + args[++i];
            if (args[i].equals("--runs")) runs = Integer.parseInt(args[++i]);
        }
        Path jar = Path.of("cli/target/citus-migrate.jar");
        if (!Files.exists(jar)) throw new IllegalStateException("build first: mvn -B -Pbench -DskipTests package");
        try (EmbeddedPg sourcePg = EmbeddedPg.start(); EmbeddedPg targetPg = EmbeddedPg.start();
             CitusTarget citus = CitusTarget.open(targetPg)) {
            String db = sourcePg.createDatabase("bench");
            long tg = System.nanoTime();
            ExampleData.Counts counts;
            try (Connection c = sourcePg.connect(db)) {
                counts = ExampleData.generate(c, scale, 100_000);
                // a production source has been vacuumed; without it the first reader (the tool)
                // would pay for setting every row's hint bits and the reference after it would not
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("VACUUM (ANALYZE)");
                }
            }
            System.out.printf(Locale.ROOT, "generated %d rows at scale %s in %.1f s%n", counts.total(), scale, (System.nanoTime() - tg) / 1e9);

            if (runs > 1) {
                repeated(runs, scale, workers, extraOptions, sourcePg, db, citus, record);
                return;
            }
            NodeCpu cpu = nodeCpu(citus, sourcePg, db);
            Tool tool = null;
            Reference ref = null;
            Map<String, Double> t0, t1, r0, r1;
            if (referenceFirst) {
                r0 = cpu.now();
                ref = reference(sourcePg, db, citus);
                r1 = cpu.now();
                settle(citus);
                t0 = cpu.now();
                tool = tool(sourcePg, db, citus, workers, hold, extraOptions);
                t1 = cpu.now();
            } else {
                t0 = cpu.now();
                tool = tool(sourcePg, db, citus, workers, hold, extraOptions);
                t1 = cpu.now();
                settle(citus);
                r0 = cpu.now();
                ref = reference(sourcePg, db, citus);
                r1 = cpu.now();
            }
            t1.put("tool JVM", tool.cpuSeconds());
            r1.put("pipe JVM", ref.cpuSeconds());
            double toolSeconds = tool.seconds();
            long peakKb = tool.peakKb();
            double refSeconds = ref.seconds();
            double refDataSeconds = ref.dataSeconds();
            double refKeySeconds = ref.keySeconds();
            long refRows = ref.rows();
            AtomicLong refBytes = new AtomicLong(ref.bytes());
            double mb = refBytes.get() / 1048576.0;
            String machine = machine();
            String report = String.format(Locale.ROOT, """
                    ### %s, scale %s (%d rows, %.0f MB of COPY text)
                    - machine: %s
                    - target: %s
                    - command: `mvn -B -Pbench -DskipTests package && CITUS_URL=... java -jar benchmark/target/benchmark.jar --scale %s --workers %d%s%s`
                    - citus-migrate bulk load (schema, data, keys, sequences, verification): %.1f s, %.0f rows/s, %.1f MB/s, peak RSS %d MB
                    - reference pipe (COPY (join) TO STDOUT | COPY FROM STDIN, table after table, then primary and foreign keys): %.1f s (data %.1f s, keys %.1f s), %.0f rows/s, %.1f MB/s
                    - ratio tool / reference: %.2f
                    - CPU-seconds per million rows, tool (from its start to its exit, servers on this machine only): %s
                    - CPU-seconds per million rows, reference pipe: %s
                    - load average (1, 5, 15 min) at the end: %s
                    """, LocalDate.now(), scale, refRows, mb, machine, citus.description(),
                    scale, workers, referenceFirst ? " --reference-first" : "", extraOptions.isEmpty() ? "" : " --with '" + extraOptions.substring(2) + "'", toolSeconds, refRows / toolSeconds, mb / toolSeconds, peakKb / 1024,
                    refSeconds, refDataSeconds, refKeySeconds, refRows / refSeconds, mb / refSeconds, toolSeconds / refSeconds,
                    NodeCpu.perMillionRows(t0, t1, refRows), NodeCpu.perMillionRows(r0, r1, refRows), loadAverage());
            System.out.println(report);
            if (record != null) Files.writeString(record, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /**
     * The measure: {@code runs} times the pipe, the tool, the pipe again (a checkpoint on
     * every node between them, each one's schema dropped after it), each run's ratio the tool's
     * time over the mean of the two pipes around it, and the median of those ratios.
     */
    private static void repeated(int runs, double scale, int workers, String extraOptions, EmbeddedPg sourcePg, String db, CitusTarget citus,
                                 Path record) throws Exception {
        StringBuilder rows = new StringBuilder();
        List<Double> ratios = new ArrayList<>();
        long refRows = 0;
        double mb = 0;
        for (int run = 1; run <= runs; run++) {
            Reference before = reference(sourcePg, db, citus);
            dropBenchSchemas(citus);
            settle(citus);
            Tool tool = tool(sourcePg, db, citus, workers, 0, extraOptions);
            dropBenchSchemas(citus);
            settle(citus);
            Reference after = reference(sourcePg, db, citus);
            dropBenchSchemas(citus);
            settle(citus);
            refRows = before.rows();
            mb = before.bytes() / 1048576.0;
            double ratio = tool.seconds() / ((before.seconds() + after.seconds()) / 2);
            ratios.add(ratio);
            String row = String.format(Locale.ROOT, "| %d | %.1f s (%.1f + %.1f) | %.1f s | %.1f s (%.1f + %.1f) | %.2f | %d MB | %s |%n", run,
                    before.seconds(), before.dataSeconds(), before.keySeconds(), tool.seconds(), after.seconds(), after.dataSeconds(),
                    after.keySeconds(), ratio, tool.peakKb() / 1024, loadAverage());
            System.out.print(row);
            rows.append(row);
        }
        List<Double> sorted = new ArrayList<>(ratios);
        java.util.Collections.sort(sorted);
        String report = String.format(Locale.ROOT, """
                ### %s, scale %s (%d rows, %.0f MB of COPY text), %d runs, the pipe before and after each
                - machine: %s
                - target: %s
                - command: `mvn -B -Pbench -DskipTests package && CITUS_URL=... java -jar benchmark/target/benchmark.jar --scale %s --workers %d --runs %d%s`
                - each run: the reference pipe (COPY (join) TO STDOUT | COPY FROM STDIN, table after table, then primary and foreign keys), the tool's bulk load (schema, data, keys, sequences, verification, statistics left to autovacuum as the pipe leaves them; exit 0: every table verified, orphans rejected, sequences set), the pipe again; ratio = the tool's time / the mean of the two pipes

                | run | pipe before (data + keys) | tool | pipe after (data + keys) | ratio | tool's peak RSS | load average at the end |
                | --- | --- | --- | --- | --- | --- | --- |
                %s
                - **median ratio tool / pipe: %.2f**
                """, LocalDate.now(), scale, refRows, mb, runs, machine(), citus.description(), scale, workers, runs,
                extraOptions.isEmpty() ? "" : " --with '" + extraOptions.substring(2) + "'", rows.toString().stripTrailing(), sorted.get(sorted.size() / 2));
        System.out.println(report);
        if (record != null) Files.writeString(record, report + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The schemas a run made, dropped so that the next one starts from the same cluster. */
    private static void dropBenchSchemas(CitusTarget citus) throws Exception {
        try (Connection t = citus.connect(); Statement s = t.createStatement()) {
            List<String> names = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")) {
                while (rs.next()) names.add(rs.getString(1));
            }
            for (String n : names) s.execute("DROP SCHEMA " + io.citusmigrate.sql.Sql.ident(n) + " CASCADE");
        }
    }

    private record Tool(double seconds, long peakKb, double cpuSeconds) {}

    private record Reference(double seconds, double dataSeconds, double keySeconds, long rows, long bytes, double cpuSeconds) {}

    /** The cluster's servers and the source, when they run on this machine. */
    private static NodeCpu nodeCpu(CitusTarget citus, EmbeddedPg sourcePg, String db) throws Exception {
        NodeCpu cpu;
        try {
            cpu = NodeCpu.ofCluster(citus.jdbcUrl(), citus.user(), citus.password());
        } catch (java.sql.SQLException e) {
            cpu = new NodeCpu(); // the stand-in: one server, no pg_dist_node
            try (Connection c = citus.connect()) {
                cpu.add("target", c);
            }
        }
        try (Connection c = sourcePg.connect(db)) {
            cpu.add("source", c);
        }
        return cpu;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** This JVM's CPU-seconds so far (the pipe's client side runs in it). */
    private static double ownCpu() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    /** Between the two runs: a checkpoint on every node, so that neither pays for the other's dirty pages. */
    private static void settle(CitusTarget citus) throws Exception {
        try (Connection t = citus.connect(); Statement s = t.createStatement()) {
            s.execute("CHECKPOINT");
            try {
                s.execute("SELECT run_command_on_workers('CHECKPOINT')");
            } catch (java.sql.SQLException e) {
                // not Citus (the stand-in): one server
            }
        }
    }

    /** The tool, as a user runs it, in its own process. */
    private static Tool tool(EmbeddedPg sourcePg, String db, CitusTarget citus, int workers, long hold, String extraOptions) throws Exception {
        String toolSchema = citus.newSchema("bench_tool");
        Path dir = Files.createTempDirectory(Path.of("target"), "bench");
        Path file = dir.resolve("bench.load");
        Files.writeString(file, """
                load database from %s into %s
                  with include drop, snapshot only, reset sequences, on orphan rows skip, reject directory = '%s', workers = %d%s
                  cast column impressions.seen_at to "timestamp with time zone"
                  alter schema 'public' rename to '%s'
                  distribute companies using id;
                """.formatted(sourcePg.url(db), citus.url(), dir.resolve("rejects"), workers, extraOptions, toolSchema));
        ProcessBuilder pb = new ProcessBuilder("./citus-migrate", "migrate", file.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("tool.log").toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        long peakKb = 0;
        double cpuSeconds = 0;
        while (p.isAlive()) {
            peakKb = Math.max(peakKb, peakRssKb(p.pid()));
            long[] st = NodeCpu.stat(p.pid()); // the last sample before it exits: within 0.1 s
            if (st[0] + st[1] > 0) cpuSeconds = (st[0] + st[1]) / 100.0;
            Thread.sleep(100);
        }
        double toolSeconds = (System.nanoTime() - t0) / 1e9;
        String log = Files.readString(dir.resolve("tool.log"));
        if (p.exitValue() != 0) throw new IllegalStateException("the tool failed:\n" + log);
        System.out.println(log);
        if (hold > 0) {
            System.out.println("holding for " + hold + " s: source " + sourcePg.url(db) + ", target " + citus.url() + ", schema " + toolSchema);
            Thread.sleep(hold * 1000);
        }
        return new Tool(toolSeconds, peakKb, cpuSeconds);
    }

    /** The reference pipe into bare distributed tables of the same shape, then its keys. */
    private static Reference reference(EmbeddedPg sourcePg, String db, CitusTarget citus) throws Exception {
        String refSchema = citus.newSchema("bench_ref");
        LoadCommand cmd = LoadFileParser.parse("ref.load", "load database from " + sourcePg.url(db) + " into " + citus.url()
                + " cast column impressions.seen_at to \"timestamp with time zone\" alter schema 'public' rename to '" + refSchema
                + "' distribute companies using id;", System::getenv);
        Catalog catalog;
        try (Connection c = sourcePg.connect(db)) {
            catalog = new CatalogReader(c).read();
        }
        Plan plan = Planner.plan(cmd, catalog);
        try (Connection t = citus.connect()) {
            new SchemaCreator(t, x -> { }).run(SchemaScript.of(plan, cmd.options()),
                    EnumSet.of(Step.SCHEMAS, Step.TYPES, Step.SEQUENCES, Step.TABLES, Step.DISTRIBUTE), false);
        }
        AtomicLong refBytes = new AtomicLong();
        long refRows = 0;
        double cpu0 = ownCpu();
        long t1 = System.nanoTime();
        for (Projection proj : BulkLoader.projections(plan)) {
            refRows += pipe(sourcePg.connect(db), citus.connect(), proj, refBytes);
        }
        double refDataSeconds = (System.nanoTime() - t1) / 1e9;
        // then the primary keys and the foreign keys, as a hand-written migration adds them after the data
        long tk = System.nanoTime();
        try (Connection t = citus.connect()) {
            new SchemaCreator(t, x -> { }).run(SchemaScript.of(plan, cmd.options()), EnumSet.of(Step.KEYS, Step.FOREIGN_KEYS, Step.VALIDATE), false);
        }
        double refKeySeconds = (System.nanoTime() - tk) / 1e9;
        double refSeconds = (System.nanoTime() - t1) / 1e9;
        return new Reference(refSeconds, refDataSeconds, refKeySeconds, refRows, refBytes.get(), ownCpu() - cpu0);
    }

    /** One hand-written pipe: COPY out of the source, into the target, as psql | psql would. */
    static long pipe(Connection source, Connection target, Projection proj, AtomicLong bytes) throws Exception {
        try (source; target) {
            PipedInputStream in = new PipedInputStream(1 << 16);
            PipedOutputStream out = new PipedOutputStream(in);
            CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
                try (out) {
                    return source.unwrap(PGConnection.class).getCopyAPI().copyOut(proj.copyOut(null, false), new java.io.FilterOutputStream(out) {
                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            bytes.addAndGet(len);
                            out.write(b, off, len);
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            target.unwrap(PGConnection.class).getCopyAPI().copyIn(proj.copyIn(false), in);
            return writer.get();
        }
    }

    static long peakRssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException ignored) {
            // the process has just ended
        }
        return 0;
    }

    static String machine() {
        String cpu = "unknown cpu";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux
        }
        long memGb = 0;
        try {
            memGb = Long.parseLong(Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\D", "")) / 1024 / 1024;
        } catch (IOException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memGb + " GiB, Java " + System.getProperty("java.version");
    }
}

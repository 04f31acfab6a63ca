package io.citusmigrate.copy;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.db.Databases;
import io.citusmigrate.db.Parallel;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.Hop;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Copies every table from the source snapshot into the bare target tables with COPY, rows
 * passing through as the bytes COPY produces (never one Java object per row or field). Tables,
 * and page ranges of large tables, are copied in parallel by {@code workers} threads.
 *
 * <p>Orphans are found first, in the same snapshot: with {@code on orphan rows stop} any orphan
 * stops the bulk load before a row is written; with {@code skip} they go to a reject file per table
 * and are counted, so that read = written + rejected for every table.
 */
public final class BulkLoader {
    private static final int BUFFER = 1 << 16;
    private static final int MAX_RANGES = 64;

    private final Plan plan;
    private final LoadCommand cmd;
    private final Progress progress;
    private RangeRecorder recorder;
    private final Consumer<String> log;
    /** {@code on error resume next}: the checksums of the rows the target refused, per table (see {@link RowErrors}). */
    private final Map<String, Checksum> refused = new java.util.concurrent.ConcurrentHashMap<>();
    private RowErrors rowErrors;
    /** Where each table's rows go, found when the first rows are copied (the target's tables exist by then). */
    private ShardRoutes routes;

    public BulkLoader(Plan plan, LoadCommand cmd, Progress progress, Consumer<String> log) {
        this.plan = plan;
        this.cmd = cmd;
        this.progress = progress;
        this.log = log;
    }

    /** Tables whose rows are copied: partitions are read through their parent. */
    public static List<Projection> projections(Plan plan) {
        return plan.sourceTables().stream().filter(t -> !t.isPartition()).map(Projection::new).toList();
    }

    /**
     * Counts (and hashes, see {@link Projection#checksumOfOrphans}) orphans per table within the
     * snapshot, or the current state when the reader is plain; with {@code firstKeys}, the first
     * keys of each for the report (one more scan).
     */
    public static List<OrphanReport> orphans(Connection reader, List<Projection> projections, boolean recordHash,
                                             boolean firstKeys) throws SQLException {
        Map<Projection, OrphanReport> found = new java.util.HashMap<>();
        Map<QualifiedName, Projection> bySource = new java.util.HashMap<>();
        projections.forEach(p -> bySource.put(p.source(), p));
        // parents before their children: a child below a parent without orphans is checked without the joins
        List<Projection> parentsFirst = projections.stream()
                .sorted(java.util.Comparator.comparingInt(p -> p.table().backfillPath().size())).toList();
        java.util.Set<Projection> clean = new java.util.HashSet<>();
        for (Projection p : parentsFirst) {
            if (!p.canHaveOrphans()) {
                clean.add(p);
                continue;
            }
            Checksum n;
            boolean nullKeysOnly = belowCleanParent(reader, p, bySource, clean);
            try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery(p.checksumOfOrphans(recordHash, nullKeysOnly))) {
                n = Checksum.read(rs);
            }
            if (n.rows() == 0) {
                clean.add(p);
                continue;
            }
            List<String> keys = new ArrayList<>();
            if (firstKeys) {
                try (Statement s = reader.createStatement(); ResultSet rs = s.executeQuery(p.sampleOrphans(5, nullKeysOnly))) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        List<String> k = new ArrayList<>();
                        for (int i = 1; i <= cols; i++) k.add(rs.getMetaData().getColumnName(i) + "=" + rs.getString(i));
                        keys.add(String.join(", ", k));
                    }
                }
            }
            String path = p.table().backfillPath().isEmpty() ? p.table().distributionColumn()
                    : p.table().backfillPath().stream().map(Hop::toString).collect(Collectors.joining(", "));
            found.put(p, new OrphanReport(p.table().label(), n, keys, path, nullKeysOnly));
        }
        return projections.stream().map(found::get).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * Whether {@code p}'s parent was found without orphans and {@code p}'s first hop is a foreign
     * key the source validated, still there and valid in the reader's snapshot (the catalog was
     * read before it). Then {@code p}'s orphans are its rows with a NULL in that key.
     */
    private static boolean belowCleanParent(Connection reader, Projection p, Map<QualifiedName, Projection> bySource,
                                            java.util.Set<Projection> clean) throws SQLException {
        if (p.table().backfillPath().isEmpty()) return false;
        Projection parent = bySource.get(p.table().backfillPath().get(0).parent());
        if (parent == null || !clean.contains(parent) || !p.reachesTenantThrough(parent)) return false;
        java.util.Optional<String> fk = p.firstHopForeignKey();
        if (fk.isEmpty()) return false;
        try (java.sql.PreparedStatement s = reader.prepareStatement(VALIDATED_FOREIGN_KEY)) {
            s.setString(1, p.source().sql());
            s.setString(2, fk.get());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static final String VALIDATED_FOREIGN_KEY =
            "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = CAST(? AS regclass) AND conname = ? AND contype = 'f' AND convalidated";

    /**
     * What the copy needs to know before it starts; found in the snapshot. {@code orphans} are
     * those rejected (with {@code skip}); {@code recordHash} whether both servers have
     * hash_record_extended for checksums.
     */
    public record Prepared(SourceSnapshot snapshot, String timeZone, Map<Projection, List<String>> ranges,
                           Map<String, Checksum> orphans, boolean recordHash) {
        long rejected(Projection p) {
            return orphans.getOrDefault(p.table().label(), Checksum.NONE).rows();
        }
    }

    /**
     * Finds orphans (stopping, or writing reject files) and splits large tables into ranges.
     * Run it before the target is touched: an orphan stop then changes nothing.
     */
    public Prepared prepare(SourceSnapshot snapshot) {
        List<Projection> projections = projections(plan);
        Map<Projection, List<String>> ranges = new LinkedHashMap<>();
        Map<String, Checksum> rejected = new LinkedHashMap<>();
        boolean recordHash = targetHasRecordHash();
        try (Connection reader = Databases.connect("source", cmd.source())) {
            String tz = Databases.timeZone(reader);
            recordHash &= Databases.hasRecordHash(reader);
            snapshot.use(reader);
            // with `skip` the reject files name every orphan: no first keys needed
            List<OrphanReport> orphans = orphans(reader, projections, recordHash, !skipOrphans());
            handleOrphans(reader, projections, orphans, rejected);
            for (Projection p : projections) ranges.put(p, ranges(reader, p));
            reader.commit();
            return new Prepared(snapshot, tz, ranges, rejected, recordHash);
        } catch (SQLException e) {
            throw new UserError("reading the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
    }

    /** Only reads the server's version: the target is not touched before the orphan check. */
    private boolean targetHasRecordHash() {
        try (Connection t = Databases.target(cmd)) {
            return Databases.hasRecordHash(t);
        } catch (SQLException e) {
            throw new UserError("the target " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
    }

    /**
     * The checksum of every table's rows as the source held them in the snapshot, orphans taken
     * out: what the target must hold (an added tenant key aside, which its foreign key proves).
     * Tables in parallel on {@code threads} source connections; it needs the snapshot still open.
     */
    public Map<String, Checksum> sourceChecksums(Prepared prep, int threads) {
        List<Projection> projections = new ArrayList<>(prep.ranges().keySet());
        try (Parallel.Connections conns = new Parallel.Connections(() -> {
            Connection c = Databases.connect("source", cmd.source());
            try {
                Databases.setTimeZone(c, prep.timeZone());
                prep.snapshot().use(c);
            } catch (SQLException e) {
                Databases.close(c);
                throw new UserError("reading the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
            }
            return c;
        })) {
            List<Checksum> sums = Parallel.map(projections, threads, p -> {
                try (Statement s = conns.get().createStatement(); ResultSet rs = s.executeQuery(p.checksumOfSourceRows(prep.recordHash()))) {
                    String t = p.table().label();
                    return Checksum.read(rs).minus(prep.orphans().getOrDefault(t, Checksum.NONE)).minus(refused.getOrDefault(t, Checksum.NONE));
                } catch (SQLException e) {
                    throw new UserError("reading the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
                }
            });
            Map<String, Checksum> out = new LinkedHashMap<>();
            for (int i = 0; i < projections.size(); i++) out.put(projections.get(i).table().label(), sums.get(i));
            return out;
        }
    }

    /** A target connection that renders values as the copy read them (for verification). */
    public java.sql.Connection verifyingConnection(Prepared prep) {
        Connection c = Databases.target(cmd);
        try {
            Databases.setTimeZone(c, prep.timeZone());
        } catch (SQLException e) {
            Databases.close(c);
            throw new UserError("the target " + cmd.target() + " failed: " + Databases.oneLine(e, cmd.target()));
        }
        return c;
    }

    /** Each copied range is noted on the target in the transaction of its rows (a live migration's progress). */
    public void recordRanges(RangeRecorder recorder) {
        this.recorder = recorder;
    }

    public List<TableResult> load(Prepared prep) {
        SourceSnapshot snapshot = prep.snapshot();
        String tz = prep.timeZone();
        Map<Projection, List<String>> ranges = prep.ranges();

        int workers = cmd.options().integer(Option.WORKERS);
        Map<Projection, TableState> states = new LinkedHashMap<>();
        List<Unit> units = new ArrayList<>();
        for (Projection p : ranges.keySet()) {
            TableState st = new TableState(p, ranges.get(p).size(), prep.rejected(p),
                    cmd.options().integer(Option.CONCURRENCY));
            states.put(p, st);
            List<String> rs = ranges.get(p);
            for (int i = 0; i < rs.size(); i++) units.add(new Unit(p, rs.get(i), st, i));
        }
        // Each table's first range, then each one's second, and so on, the biggest tables first in
        // each round: the last minutes are small ranges of the big tables, not one table alone, and
        // a table's ranges run one after another while other tables' can run meanwhile. Ranges of
        // one table written at once interleave in its shards: on real Citus its keys then took a
        // third longer to build (rows less in order), and the readers outnumbered the cores
        // (benchmark/RESULTS.md, 2026-12-07, third session).
        units.sort(java.util.Comparator.comparingInt(Unit::index).thenComparing((a, b) -> Long.compare(
                b.p.table().source().estimatedRows() / Math.max(1, b.st.units), a.p.table().source().estimatedRows() / Math.max(1, a.st.units))));
        if (routes == null) {
            if (!cmd.options().flag(Option.COPY_TO_SHARDS)) routes = ShardRoutes.coordinatorOnly("`copy through coordinator` asks for it");
            else if (resumeNext()) routes = ShardRoutes.coordinatorOnly("`on error resume next` writes its batches through it");
            else routes = ShardRoutes.find(cmd, projections(plan));
            log.accept(routes.summary());
        }
        try (CopyWorkers conns = new CopyWorkers(cmd, snapshot, tz);
             RowErrors errors = resumeNext() ? new RowErrors(rejectDirectory(), cmd.source(), tz, prep.recordHash(), refused, log, ranges.keySet()) : null) {
            rowErrors = errors;
            Parallel.map(units, workers, u -> {
                copy(conns, u);
                io.citusmigrate.crash.CrashPoints.reach("bulk.after-range"); // some ranges and tables copied, others not
                return null;
            });
        } finally {
            rowErrors = null;
        }
        return states.values().stream().map(TableState::result).toList();
    }

    private void handleOrphans(Connection reader, List<Projection> projections, List<OrphanReport> orphans,
                               Map<String, Checksum> rejected) throws SQLException {
        if (orphans.isEmpty()) return;
        if (!skipOrphans()) {
            throw new UserError("orphan rows: their path to the tenant is NULL or dangling, so Citus cannot place them."
                    + " Nothing was loaded.\n  " + orphans.stream().map(OrphanReport::toString).collect(Collectors.joining("\n  "))
                    + "\n  Fix them on the source, or set `on orphan rows skip` (and `reject directory`) to load the others"
                    + " and write these to reject files.");
        }
        Path dir = rejectDirectory();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError("cannot create the reject directory " + dir + ": " + e.getMessage());
        }
        for (OrphanReport o : orphans) {
            Projection p = projections.stream().filter(x -> x.table().label().equals(o.table())).findFirst().orElseThrow();
            Path file = dir.resolve(p.table().target().schema() + "." + p.table().target().name() + ".reject.csv");
            try (OutputStream out = Files.newOutputStream(file)) {
                reader.unwrap(PGConnection.class).getCopyAPI().copyOut(p.copyOrphansOut(o.nullKeysOnly()), out);
            } catch (IOException e) {
                throw new UserError("cannot write the reject file " + file + ": " + e.getMessage());
            }
            rejected.put(o.table(), o.checksum());
            log.accept("rejected " + o.count() + " orphan rows of " + o.table() + " to " + file);
        }
    }

    private Path rejectDirectory() {
        return Path.of(cmd.options().string(Option.REJECT_DIRECTORY) == null ? "rejects" : cmd.options().string(Option.REJECT_DIRECTORY));
    }

    /** {@code on error resume next}: rows the target refuses go to the reject files and the bulk load goes on. */
    private boolean resumeNext() {
        return "resume next".equals(cmd.options().string(Option.ON_ERROR));
    }

    private boolean skipOrphans() {
        return "skip".equals(cmd.options().string(Option.ON_ORPHAN_ROWS));
    }

    /** Page ranges for a large ordinary table; one unbounded unit otherwise. */
    private List<String> ranges(Connection reader, Projection p) throws SQLException {
        TablePlan t = p.table();
        long rows = t.source().estimatedRows();
        long perRange = cmd.options().integer(Option.ROWS_PER_RANGE);
        long bytesPerRange = cmd.options().bytes(Option.CHUNK_SIZE);
        long pages;
        long bytes;
        try (PreparedStatement ps = reader.prepareStatement(
                "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int, pg_relation_size(c.oid) FROM pg_class c WHERE c.oid = ?::regclass")) {
            ps.setString(1, t.source().name().sql());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                pages = rs.getLong(1);
                bytes = rs.getLong(2);
            }
        }
        int n = (int) Math.min(MAX_RANGES, Math.max(Math.ceil((double) rows / perRange), Math.ceil((double) bytes / bytesPerRange)));
        List<String> out = new ArrayList<>();
        if (t.source().isPartitioned() || n <= 1 || pages < 2) {
            out.add(null);
            return out;
        }
        n = (int) Math.min(n, pages);
        long step = (pages + n - 1) / n;
        for (long from = 0; from < pages; from += step) {
            out.add(Projection.ctidRange(from, from + step >= pages ? -1 : from + step));
        }
        return out;
    }

    private void copy(CopyWorkers conns, Unit u) throws SQLException {
        CopyWorkers.Worker w = conns.get();
        String table = u.p.table().label();
        u.st.startOnce(progress);
        u.st.readers.acquireUninterruptibly(); // `concurrency`: readers of one table at a time
        try {
            ShardMap shards = routes.of(u.p);
            if (rowErrors != null) copyRangeInBatches(w, u, table, rowErrors);
            else if (shards != null) copyRangeToShards(conns, w, u, table, shards);
            else copyRange(w, u, table);
        } finally {
            u.st.readers.release();
        }
    }

    /** The source side of each range is read on its own thread: reading and writing overlap, as in a shell pipe. */
    private static final java.util.concurrent.ExecutorService READERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "copy-reader");
        t.setDaemon(true);
        return t;
    });
    private static final byte[] END = new byte[0];

    /**
     * COPY out of the source into COPY into the target. A reader thread gathers the source's
     * rows into 64 KB chunks on a short queue while this thread writes them (one thread doing
     * both, each side waited for the other: 44% slower than a shell pipe at 12M rows on Citus).
     */
    private void copyRange(CopyWorkers.Worker w, Unit u, String table) throws SQLException {
        long t0 = System.nanoTime();
        boolean binary = u.p.binary();
        CopyOut out = w.source().unwrap(PGConnection.class).getCopyAPI().copyOut(u.p.copyOut(u.range, binary));
        java.util.concurrent.BlockingQueue<byte[]> chunks = new java.util.concurrent.ArrayBlockingQueue<>(8);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.Future<long[]> reading = READERS.submit(() -> {
            long rows = 0;
            long bytes = 0;
            long reported = 0;
            byte[] buf = new byte[BUFFER];
            int len = 0;
            try {
                byte[] row;
                while (!stop.get() && (row = out.readFromCopy()) != null) {
                    if (CopyRows.isRow(row, binary)) rows++;
                    bytes += row.length;
                    if (len + row.length > buf.length && len > 0) {
                        chunks.put(java.util.Arrays.copyOf(buf, len));
                        len = 0;
                    }
                    if (row.length > buf.length) {
                        chunks.put(row);
                    } else {
                        System.arraycopy(row, 0, buf, len, row.length);
                        len += row.length;
                    }
                    if (rows - reported >= 10_000) {
                        progress.advance(table, rows - reported, 0);
                        reported = rows;
                    }
                }
                if (len > 0 && !stop.get()) chunks.put(java.util.Arrays.copyOf(buf, len));
                progress.advance(table, rows - reported, 0);
                return new long[] {rows, bytes};
            } finally {
                if (out.isActive()) try { out.cancelCopy(); } catch (SQLException ignored) { /* stopped, or the first error is reported */ }
                chunks.put(END);
            }
        });
        CopyIn in = null;
        boolean ended = false;
        try {
            in = w.target().unwrap(PGConnection.class).getCopyAPI().copyIn(u.p.copyIn(binary));
            byte[] chunk;
            while ((chunk = chunks.take()) != END) in.writeToCopy(chunk, 0, chunk.length);
            ended = true;
            long[] read = reading.get();
            in.endCopy();
            if (recorder != null) recorder.copied(w.target(), table, u.range, read[0]);
            w.target().commit();
            progress.advance(table, 0, read[1]);
            u.st.done(read[0], 0, read[1], System.nanoTime() - t0, progress);
        } catch (SQLException | InterruptedException | java.util.concurrent.ExecutionException e) {
            stop.set(true);
            try {
                while (!ended && chunks.take() != END) { /* let the reader finish */ }
                reading.get();
            } catch (InterruptedException | java.util.concurrent.ExecutionException ignored) {
                // the first error is reported
            }
            if (in != null && in.isActive()) try { in.cancelCopy(); } catch (SQLException ignored) { /* idem */ }
            try { w.target().rollback(); } catch (SQLException ignored) { /* idem */ }
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            if (cause instanceof UserError ue) throw ue;
            throw new UserError("copying " + table + " failed: " + (cause instanceof SQLException se ? Databases.oneLine(se, null) : String.valueOf(cause)));
        }
    }

    /** The range straight into its shards on the workers ({@link ShardCopy}), each worker's part in one transaction. */
    private void copyRangeToShards(CopyWorkers conns, CopyWorkers.Worker w, Unit u, String table, ShardMap map) throws SQLException {
        long t0 = System.nanoTime();
        List<Connection> nodes = new ArrayList<>();
        try {
            for (Node n : map.nodes()) nodes.add(conns.node(w, n));
            long[] read = new ShardCopy(map, u.p, u.p.binary()).copy(w.source(), nodes, u.range, r -> progress.advance(table, r, 0));
            // one transaction per worker, not one for all: a run that stops between their commits copies
            // its data again from the start (docs/CRASHES.md), so a range half committed is never kept
            for (Connection c : nodes) c.commit();
            if (recorder != null) recorder.copied(w.target(), table, u.range, read[0]);
            w.target().commit();
            progress.advance(table, 0, read[1]);
            u.st.done(read[0], 0, read[1], System.nanoTime() - t0, progress);
        } catch (SQLException | RuntimeException e) {
            for (Connection c : nodes) try { c.rollback(); } catch (SQLException ignored) { /* the first error is reported */ }
            try { w.target().rollback(); } catch (SQLException ignored) { /* idem */ }
            if (e instanceof UserError ue) throw ue;
            throw new UserError("copying " + table + " failed: " + (e instanceof SQLException se ? Databases.oneLine(se, null) : String.valueOf(e)));
        }
    }

    /** Rows per COPY batch with {@code on error resume next}, and bytes: pgloader's defaults (batch rows, batch size). */
    private static final int BATCH_ROWS = 25_000;
    private static final long BATCH_BYTES = 20L << 20;

    /**
     * {@code on error resume next}: the range is read in COPY's text format and written in
     * batches, each a COPY under a savepoint, in the range's one transaction. A batch the target
     * refuses is rolled back to its savepoint and split (at the row the error names, else in 16
     * parts), again and again, until the rows it refuses are found one by one: those go to the reject files ({@link RowErrors}), the rest
     * are written. An error that is not about a row (a lost connection, a missing privilege)
     * stops the bulk load as {@code on error stop} does.
     */
    private void copyRangeInBatches(CopyWorkers.Worker w, Unit u, String table, RowErrors errors) throws SQLException {
        long t0 = System.nanoTime();
        CopyOut out = w.source().unwrap(PGConnection.class).getCopyAPI().copyOut(u.p.copyOut(u.range, false));
        long rows = 0, bytes = 0, reported = 0;
        long[] refusedRows = {0};
        try {
            List<byte[]> batch = new ArrayList<>();
            long batchBytes = 0;
            byte[] row;
            while ((row = out.readFromCopy()) != null) {
                rows++;
                bytes += row.length;
                batch.add(row);
                batchBytes += row.length;
                if (batch.size() >= BATCH_ROWS || batchBytes >= BATCH_BYTES) {
                    tryRows(w.target(), u.p, batch, 0, batch.size(), errors, refusedRows);
                    batch.clear();
                    batchBytes = 0;
                }
                if (rows - reported >= 10_000) {
                    progress.advance(table, rows - reported, 0);
                    reported = rows;
                }
            }
            if (!batch.isEmpty()) tryRows(w.target(), u.p, batch, 0, batch.size(), errors, refusedRows);
            progress.advance(table, rows - reported, bytes);
            if (recorder != null) recorder.copied(w.target(), table, u.range, rows - refusedRows[0]);
            w.target().commit();
            u.st.done(rows, refusedRows[0], bytes, System.nanoTime() - t0, progress);
        } catch (SQLException | RuntimeException e) {
            if (out.isActive()) try { out.cancelCopy(); } catch (SQLException ignored) { /* the first error is reported */ }
            try { w.target().rollback(); } catch (SQLException ignored) { /* idem */ }
            if (e instanceof UserError ue) throw ue;
            if (e instanceof SQLException se) throw new UserError("copying " + table + " failed: " + Databases.oneLine(se, null));
            throw (RuntimeException) e;
        }
    }

    private static final int SPLIT = 16;
    private static final java.util.regex.Pattern COPY_LINE = java.util.regex.Pattern.compile("^COPY .*?, line (\\d+)");

    /** The line of the COPY's input the server's error names (its CONTEXT), or -1. */
    private static int copyLine(SQLException e) {
        if (!(e instanceof org.postgresql.util.PSQLException pe) || pe.getServerErrorMessage() == null) return -1;
        String where = pe.getServerErrorMessage().getWhere();
        if (where == null) return -1;
        java.util.regex.Matcher m = COPY_LINE.matcher(where);
        try {
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (NumberFormatException x) {
            return -1;
        }
    }

    /**
     * Rows [from, to) of the batch under a savepoint. Refused: rolled back to it, then the row
     * the error names (when the coordinator names one), or 16 parts, tried again the same way,
     * down to the single rows refused.
     */
    private static void tryRows(Connection target, Projection p, List<byte[]> rows, int from, int to, RowErrors errors,
                                long[] refusedRows) throws SQLException {
        try (Statement s = target.createStatement()) {
            s.execute("SAVEPOINT citus_migrate_batch");
        }
        CopyIn in = null;
        try {
            in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(p.copyIn(false));
            for (int i = from; i < to; i++) in.writeToCopy(rows.get(i), 0, rows.get(i).length);
            in.endCopy();
        } catch (SQLException e) {
            if (in != null && in.isActive()) try { in.cancelCopy(); } catch (SQLException ignored) { /* the batch's error is the one */ }
            try (Statement s = target.createStatement()) {
                s.execute("ROLLBACK TO SAVEPOINT citus_migrate_batch");
            } catch (SQLException lost) {
                throw e; // the transaction cannot go on: the batch's own error stops the bulk load
            }
            if (!aboutTheRow(e)) throw e;
            if (to - from == 1) {
                errors.reject(p, rows.get(from), Databases.oneLine(e, null));
                refusedRows[0]++;
            } else {
                int line = copyLine(e);
                if (line >= 1 && line <= to - from) {
                    // the coordinator named the row (its own checks: types, the distribution column): the rows before it,
                    // that row, the rows after it; a wrong hint costs only these three tries
                    int bad = from + line - 1;
                    if (bad > from) tryRows(target, p, rows, from, bad, errors, refusedRows);
                    tryRows(target, p, rows, bad, bad + 1, errors, refusedRows);
                    if (bad + 1 < to) tryRows(target, p, rows, bad + 1, to, errors, refusedRows);
                } else {
                    // a worker's error names no row: 16 parts, and again in a refused part (measured: half the time of
                    // halving, which sends the batch again at every level)
                    int step = Math.max(1, (to - from + SPLIT - 1) / SPLIT);
                    for (int i = from; i < to; i += step) tryRows(target, p, rows, i, Math.min(to, i + step), errors, refusedRows);
                }
            }
        }
        try (Statement s = target.createStatement()) {
            s.execute("RELEASE SAVEPOINT citus_migrate_batch");
        }
    }

    /**
     * Whether an error can be a row's: not the connection's, the server's, the transaction's or
     * a privilege's (SQLSTATE classes 08, 25, 28, 40, 42, 53, 54, 55, 57, 58). Citus reports a
     * worker's constraint violation as XX000, so that class counts as a row's unless it is
     * about a connection.
     */
    static boolean aboutTheRow(SQLException e) {
        String state = e.getSQLState();
        if (state == null || state.length() != 5) return false;
        if (java.util.Set.of("08", "25", "28", "40", "42", "53", "54", "55", "57", "58").contains(state.substring(0, 2))) return false;
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return !(state.startsWith("XX") && (m.contains("connection") || m.contains("could not")));
    }

    /** One range of a table, the {@code index}th of its ranges. */
    private record Unit(Projection p, String range, TableState st, int index) {}

    private static final class TableState {
        final Projection p;
        final int units;
        final long rejected;
        final AtomicInteger left;
        final AtomicLong rows = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong firstStart = new AtomicLong();
        final AtomicLong lastEnd = new AtomicLong();
        final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

        final java.util.concurrent.Semaphore readers;

        TableState(Projection p, int units, long rejected, int concurrency) {
            this.readers = new java.util.concurrent.Semaphore(Math.max(1, concurrency));
            this.p = p;
            this.units = units;
            this.rejected = rejected;
            this.left = new AtomicInteger(units);
        }

        void startOnce(Progress progress) {
            if (started.compareAndSet(false, true)) {
                firstStart.set(System.nanoTime());
                progress.start(p.table().label(), p.table().source().estimatedRows());
            }
        }

        /** {@code r} rows read, {@code refused} of them refused by the target (on error resume next). */
        void done(long r, long refused, long b, long nanos, Progress progress) {
            rows.addAndGet(r - refused);
            this.refused.addAndGet(refused);
            bytes.addAndGet(b);
            if (left.decrementAndGet() == 0) {
                lastEnd.set(System.nanoTime());
                progress.finish(p.table().label());
            }
        }

        TableResult result() {
            double secs = (lastEnd.get() - firstStart.get()) / 1e9;
            long out = rejected + refused.get();
            return new TableResult(p.table().label(), rows.get() + out, rows.get(), out, bytes.get(), Math.max(0, secs));
        }
    }
}

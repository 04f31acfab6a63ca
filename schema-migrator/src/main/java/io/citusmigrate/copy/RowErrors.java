package io.citusmigrate.copy;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.ConnectionUrl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code on error resume next}: the rows the target refused during the bulk COPY, each written
 * to {@code <schema>.<table>.errors.csv} in the reject directory (the row's values in the target's
 * columns, as CSV with a header, and the target's error in {@code citus_migrate_error}), counted,
 * and hashed on the source as the verification hashes the source's rows, so that the
 * verification holds the target against the source without them. Shared by the copy threads.
 */
final class RowErrors implements AutoCloseable {
    private final Path dir;
    private final ConnectionUrl source;
    private final String timeZone;
    private final boolean recordHash;
    private final Consumer<String> log;
    private final Map<String, Writer> files = new LinkedHashMap<>();
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, Path> paths = new LinkedHashMap<>();
    private final Map<String, Checksum> sums;
    private Connection hasher;

    RowErrors(Path dir, ConnectionUrl source, String timeZone, boolean recordHash, Map<String, Checksum> sums, Consumer<String> log) {
        this.dir = dir;
        this.source = source;
        this.timeZone = timeZone;
        this.recordHash = recordHash;
        this.sums = sums;
        this.log = log;
    }

    /** One row the target refused, as COPY's text format gave it (one line). */
    synchronized void reject(Projection p, byte[] line, String error) {
        String table = p.table().target().toString();
        List<String> values = fields(line);
        Writer w = files.computeIfAbsent(table, t -> open(p));
        paths.putIfAbsent(table, file(p));
        try {
            StringBuilder csv = new StringBuilder();
            for (String v : values) csv.append(csv.length() == 0 ? "" : ",").append(csv(v));
            w.write(csv.append(',').append(csv(error)).append('\n').toString());
        } catch (IOException e) {
            throw new UserError("cannot write the reject file " + file(p) + ": " + e.getMessage());
        }
        counts.merge(table, 1L, Long::sum);
        sums.merge(table, hash(p, values), (a, b) -> new Checksum(a.rows() + b.rows(), a.sum().add(b.sum())));
    }

    private Path file(Projection p) {
        return dir.resolve(p.table().target().schema() + "." + p.table().target().name() + ".errors.csv");
    }

    private Writer open(Projection p) {
        Path f = file(p);
        try {
            Files.createDirectories(dir);
            Writer w = Files.newBufferedWriter(f, StandardCharsets.UTF_8);
            List<String> header = new ArrayList<>(p.copiedColumnNames());
            header.add("citus_migrate_error");
            w.write(String.join(",", header.stream().map(RowErrors::csv).toList()) + "\n");
            return w;
        } catch (IOException e) {
            throw new UserError("cannot write the reject file " + f + ": " + e.getMessage());
        }
    }

    /** The row hashed on the source from its values, as {@link Projection#checksumOfSourceRows} hashes it. */
    private Checksum hash(Projection p, List<String> values) {
        try {
            if (hasher == null) {
                hasher = Databases.connect("source", source);
                Databases.setTimeZone(hasher, timeZone);
            }
            try (PreparedStatement ps = hasher.prepareStatement(p.checksumOfValues(recordHash))) {
                int n = 0;
                for (int i = 0; i < values.size(); i++) if (!p.addedTenant(i)) ps.setString(++n, values.get(i));
                try (ResultSet rs = ps.executeQuery()) {
                    return Checksum.read(rs);
                }
            }
        } catch (SQLException e) {
            throw new UserError("hashing a row the target refused, on the source " + source + ", failed: " + Databases.oneLine(e, source));
        }
    }

    /** A text-format COPY line split into its values (null for \N), escapes undone. */
    static List<String> fields(byte[] line) {
        List<String> out = new ArrayList<>();
        int end = line.length;
        if (end > 0 && line[end - 1] == '\n') end--;
        ByteArrayOutputStream cur = new ByteArrayOutputStream();
        int start = 0;
        for (int i = 0; i <= end; i++) {
            if (i == end || line[i] == '\t') {
                boolean isNull = i - start == 2 && line[start] == '\\' && line[start + 1] == 'N';
                out.add(isNull ? null : cur.toString(StandardCharsets.UTF_8));
                cur.reset();
                start = i + 1;
                continue;
            }
            byte b = line[i];
            if (b != '\\' || i + 1 >= end) {
                cur.write(b);
                continue;
            }
            byte c = line[++i];
            switch (c) {
                case 'b' -> cur.write('\b');
                case 'f' -> cur.write('\f');
                case 'n' -> cur.write('\n');
                case 'r' -> cur.write('\r');
                case 't' -> cur.write('\t');
                case 'v' -> cur.write(0x0b);
                case 'x' -> {
                    int v = 0, k = 0;
                    while (k < 2 && i + 1 < end && Character.digit(line[i + 1], 16) >= 0) {
                        v = v * 16 + Character.digit(line[++i], 16);
                        k++;
                    }
                    if (k == 0) cur.write('x'); else cur.write(v);
                }
                default -> {
                    if (c >= '0' && c <= '7') {
                        int v = c - '0', k = 1;
                        while (k < 3 && i + 1 < end && line[i + 1] >= '0' && line[i + 1] <= '7') {
                            v = v * 8 + (line[++i] - '0');
                            k++;
                        }
                        cur.write(v);
                    } else {
                        cur.write(c);
                    }
                }
            }
        }
        return out;
    }

    /** A CSV value: NULL as nothing, anything else quoted (so an empty string stays one). */
    private static String csv(String v) {
        return v == null ? "" : "\"" + v.replace("\"", "\"\"") + "\"";
    }

    @Override
    public synchronized void close() {
        for (Map.Entry<String, Writer> e : files.entrySet()) {
            try {
                e.getValue().close();
            } catch (IOException x) {
                throw new UserError("cannot write the reject file for " + e.getKey() + ": " + x.getMessage());
            }
        }
        counts.forEach((table, n) -> log.accept("rejected " + n + " row" + (n == 1 ? "" : "s") + " of " + table
                + " that the target refused (on error resume next) to " + paths.get(table)));
        files.clear();
        counts.clear();
        paths.clear();
        if (hasher != null) Databases.close(hasher);
        hasher = null;
    }
}

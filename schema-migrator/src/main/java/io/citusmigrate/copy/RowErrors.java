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
public final class RowErrors implements AutoCloseable {
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

    /** Removes the earlier runs' files of these tables: the files name this run's refused rows only. */
    RowErrors(Path dir, ConnectionUrl source, String timeZone, boolean recordHash, Map<String, Checksum> sums, Consumer<String> log,
              java.util.Collection<Projection> tables) {
        for (Projection p : tables) {
            try {
                Files.deleteIfExists(file(dir, p));
            } catch (IOException e) {
                throw new UserError("cannot remove the earlier reject file " + file(dir, p) + ": " + e.getMessage());
            }
        }
        this.dir = dir;
        this.source = source;
        this.timeZone = timeZone;
        this.recordHash = recordHash;
        this.sums = sums;
        this.log = log;
    }

    /** One row the target refused, as COPY's text format gave it (one line). */
    synchronized void reject(Projection p, byte[] line, String error) {
        String table = p.table().label();
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
        return file(dir, p);
    }

    private static Path file(Path dir, Projection p) {
        // a tenant schema's share of a consolidated table by its own (source) name: the shares write to one target
        io.citusmigrate.catalog.QualifiedName n = p.table().constantTenant() ? p.table().source().name() : p.table().target();
        return dir.resolve(n.schema() + "." + n.name() + ".errors.csv");
    }

    /**
     * For `verify`: the rows a load with {@code on error resume next} left in the reject
     * directory, per table, hashed on {@code source} as `verify` hashes the source's rows, to be taken out of
     * the source's side of the comparison. Tables without such a file are not in it.
     */
    public static Map<String, Checksum> refused(Path dir, io.citusmigrate.plan.Plan plan, Connection source, boolean recordHash)
            throws SQLException {
        Map<String, Checksum> out = new LinkedHashMap<>();
        for (io.citusmigrate.plan.TablePlan t : plan.sourceTables()) {
            if (t.isPartition()) continue;
            Projection p = new Projection(t);
            Path f = file(dir, p);
            if (!Files.exists(f)) continue;
            List<List<String>> records;
            try {
                records = records(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UserError("cannot read the reject file " + f + ": " + e.getMessage());
            }
            Checksum sum = Checksum.NONE;
            // as `verify` hashes the source's rows: with the tenant key the plan added
            try (PreparedStatement ps = source.prepareStatement(p.checksumOfValues(recordHash, true))) {
                for (List<String> r : records.subList(Math.min(1, records.size()), records.size())) { // the header left out
                    if (r.size() != p.copiedColumnNames().size() + 1) {
                        throw new UserError("the reject file " + f + " does not match the table " + t.target() + " (" + r.size()
                                + " values in a row, the table takes " + p.copiedColumnNames().size() + " and the error)");
                    }
                    int n = 0;
                    for (int i = 0; i < r.size() - 1; i++) ps.setString(++n, r.get(i));
                    try (ResultSet rs = ps.executeQuery()) {
                        Checksum c = Checksum.read(rs);
                        sum = new Checksum(sum.rows() + c.rows(), sum.sum().add(c.sum()));
                    }
                }
            }
            out.put(t.label(), sum);
        }
        return out;
    }

    /** The records of a CSV text as {@link #csv} writes it: NULL unquoted and empty, values quoted (line breaks in them kept). */
    static List<List<String>> records(String text) {
        List<List<String>> out = new ArrayList<>();
        List<String> rec = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false, quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inQuotes) {
                if (c != '"') cur.append(c);
                else if (i + 1 < text.length() && text.charAt(i + 1) == '"') cur.append(text.charAt(++i));
                else inQuotes = false;
            } else if (c == '"') {
                inQuotes = quoted = true;
            } else if (c == ',' || c == '\n') {
                rec.add(quoted || cur.length() > 0 ? cur.toString() : null);
                cur.setLength(0);
                quoted = false;
                if (c == '\n') {
                    out.add(rec);
                    rec = new ArrayList<>();
                }
            } else if (c != '\r') {
                cur.append(c);
            }
        }
        if (!rec.isEmpty() || quoted || cur.length() > 0) {
            rec.add(quoted || cur.length() > 0 ? cur.toString() : null);
            out.add(rec);
        }
        return out;
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
            try (PreparedStatement ps = hasher.prepareStatement(p.checksumOfValues(recordHash, false))) {
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

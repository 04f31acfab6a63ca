package io.citusmigrate.sink;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rows the sink cannot place on a tenant, outside a Connect worker (citus-migrate's own run with
 * `on orphan rows skip`): one CSV file per target table, named and shaped as the bulk COPY's
 * reject files (the source row's columns, header first, then {@code citus_migrate_reason}).
 * A Connect worker sends them to its dead-letter queue instead.
 */
public final class RejectFiles {
    private final Path dir;
    /** Files this task has begun: a new run's file replaces an earlier one's, as the bulk load's does. */
    private final Set<Path> begun = new HashSet<>();

    RejectFiles(Path dir) {
        this.dir = dir;
    }

    /** The reject file of one target table, for the bulk load and the sink alike. */
    public static Path file(Path dir, String targetSchema, String targetTable) {
        return dir.resolve(targetSchema + "." + targetTable + ".reject.csv");
    }

    void write(List<CitusWriter.Unresolved> rows) throws IOException {
        Files.createDirectories(dir);
        for (CitusWriter.Unresolved u : rows) {
            TableRule rule = u.event().rule();
            Path file = file(dir, rule.targetSchema(), rule.targetTable());
            Struct row = u.event().image();
            boolean first = begun.add(file);
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    first ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
                StringBuilder line = new StringBuilder();
                if (first) {
                    for (Field f : row.schema().fields()) line.append(csv(f.name())).append(',');
                    line.append("citus_migrate_reason\n");
                }
                for (Field f : row.schema().fields()) {
                    Object v = row.get(f);
                    // NULL unquoted and empty, as PostgreSQL's CSV writes it; an empty string quoted
                    if (v != null) line.append(csv(PgText.format(v, f.schema(), null)));
                    line.append(',');
                }
                line.append(csv(u.reason())).append('\n');
                w.write(line.toString());
            }
        }
    }

    private static String csv(String s) {
        if (!s.isEmpty() && s.chars().noneMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** The rows of a reject file (its header left out): a quoted value may hold line breaks. */
    public static long rows(Path file) throws IOException {
        if (!Files.exists(file)) return 0;
        long records = 0;
        boolean quoted = false;
        boolean any = false;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (int c; (c = r.read()) != -1; ) {
                any = true;
                if (c == '"') quoted = !quoted;
                else if (c == '\n' && !quoted) records++;
            }
        }
        return any ? Math.max(0, records - 1) : 0;
    }
}

package io.citusmigrate.ddl;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.db.Parallel;
import io.citusmigrate.ddl.Statement.Step;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs DDL statements on the target, one at a time in autocommit (Citus prefers distribution
 * calls and DDL on distributed tables outside big transactions). A statement that fails stops
 * the run with an error naming what it was creating.
 */
public final class SchemaCreator {
    private final Connection target;
    private final Consumer<String> log;

    public SchemaCreator(Connection target, Consumer<String> log) {
        this.target = target;
        this.log = log;
    }

    /**
     * Runs the statements of the given steps. With {@code rehearsal}, distribution calls are
     * printed instead of run (the target is plain PostgreSQL).
     */
    public int run(List<Statement> statements, Set<Step> steps, boolean rehearsal) {
        int n = 0;
        for (Statement s : statements) {
            if (!steps.contains(s.step())) continue;
            if (rehearsal && s.step() == Step.DISTRIBUTE) {
                log.accept("rehearsal, not run: " + s.sql() + ";");
                continue;
            }
            execute(s.what(), s.sql());
            n++;
        }
        return n;
    }

    /**
     * Runs the statements of the given steps, keeping what is there already (SQLSTATE 42710:
     * a constraint an interrupted run made before it died). Returns how many it made.
     */
    public int runKeepingExisting(List<Statement> statements, Set<Step> steps) {
        int n = 0;
        for (Statement s : statements) {
            if (!steps.contains(s.step())) continue;
            try (java.sql.Statement st = target.createStatement()) {
                st.execute(s.sql());
                n++;
            } catch (SQLException e) {
                if ("42710".equals(e.getSQLState())) continue;
                throw new UserError("creating " + s.what() + " failed on the target: " + Databases.oneLine(e, null)
                        + detail(e) + "\n  statement: " + firstLine(s.sql()));
            }
        }
        return n;
    }

    /**
     * Runs the statements of the given steps on {@code threads} connections at once (index and
     * key builds after the data), stopping at the first failure, which it names.
     */
    public static int runParallel(List<Statement> statements, Set<Step> steps, int threads,
                                  java.util.function.Supplier<Connection> connect) {
        return runParallel(statements, steps, threads, connect, st -> Long.MAX_VALUE);
    }

    /** The size {@link #runParallel} orders statements by: the source's estimate of their table's rows (0 for none). */
    public static java.util.function.ToLongFunction<Statement> byRows(io.citusmigrate.plan.Plan plan) {
        java.util.Map<io.citusmigrate.catalog.QualifiedName, Long> rows = plan.estimatedRows();
        return st -> st.table() == null ? 0 : rows.getOrDefault(st.table(), 0L);
    }

    /** Below this many rows a table's statements run over one connection per worker (see {@link #runParallel}). */
    static final long SMALL_TABLE_ROWS = 100_000;

    /**
     * The same, the statements on the biggest tables ({@code size}, in rows) begun first; those on
     * small tables in Citus's sequential mode: opening a connection to a worker for each shard
     * cost more than a small table's key (220-250 ms against 55-160 ms for 1,000-20,000 rows in 32
     * shards, on real Citus). A big table's still gets a connection per shard, to use every core.
     */
    public static int runParallel(List<Statement> statements, Set<Step> steps, int threads,
                                  java.util.function.Supplier<Connection> connect, java.util.function.ToLongFunction<Statement> size) {
        List<Statement> todo = statements.stream().filter(s -> steps.contains(s.step())).toList();
        if (todo.isEmpty()) return 0;
        try (Parallel.Connections conns = new Parallel.Connections(connect)) {
            java.util.Map<Statement, Long> sizes = new java.util.IdentityHashMap<>();
            todo.forEach(st -> sizes.put(st, size.applyAsLong(st)));
            Parallel.map(todo, threads, sizes::get, st -> {
                // a placeholder setting on PostgreSQL without Citus, which it ignores
                new SchemaCreator(conns.get(), x -> { }).execute("Citus's multi-shard mode", sizes.get(st) < SMALL_TABLE_ROWS
                        ? "SET citus.multi_shard_modify_mode TO 'sequential'" : "RESET citus.multi_shard_modify_mode");
                new SchemaCreator(conns.get(), x -> { }).execute(st.what(), st.sql());
                return null;
            });
        }
        return todo.size();
    }

    /** Runs one SQL text (a user's BEFORE/AFTER block, or a statement). */
    public void execute(String what, String sql) {
        try (java.sql.Statement st = target.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new UserError("creating " + what + " failed on the target: " + Databases.oneLine(e, null)
                    + detail(e) + "\n  statement: " + firstLine(sql));
        }
    }

    private static String detail(SQLException e) {
        if (e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getDetail() != null) {
            return " (" + p.getServerErrorMessage().getDetail() + ")";
        }
        return "";
    }

    private static String firstLine(String sql) {
        String s = sql.strip().replaceAll("\\s+", " ");
        return s.length() > 300 ? s.substring(0, 300) + " ..." : s;
    }
}

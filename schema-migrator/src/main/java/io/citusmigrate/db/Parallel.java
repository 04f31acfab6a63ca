package io.citusmigrate.db;

import io.citusmigrate.UserError;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/** Work spread over a few threads, stopping at the first failure, which is reported as it is. */
public final class Parallel {
    private Parallel() {}

    public interface Task<T, R> {
        R run(T item) throws Exception;
    }

    /** Runs the task for every item on at most {@code threads} threads; results in item order. */
    public static <T, R> List<R> map(List<T> items, int threads, Task<T, R> task) {
        return map(items, threads, item -> 0L, task);
    }

    /**
     * The same, the biggest items started first (a stable order otherwise): a big table's index
     * begun last would run alone at the end while the other threads have nothing left to do.
     * Results in item order.
     */
    public static <T, R> List<R> map(List<T> items, int threads, java.util.function.ToLongFunction<T> size, Task<T, R> task) {
        if (items.isEmpty()) return List.of();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, items.size())));
        try {
            List<Future<R>> futures = new ArrayList<>(Collections.nCopies(items.size(), null));
            long[] sizes = items.stream().mapToLong(size).toArray();
            java.util.stream.IntStream.range(0, items.size()).boxed()
                    .sorted(java.util.Comparator.comparingLong((Integer i) -> sizes[i]).reversed())
                    .forEach(i -> futures.set(i, pool.submit(() -> task.run(items.get(i)))));
            List<R> out = new ArrayList<>();
            for (Future<R> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) throw r;
                    throw new UserError(c.getMessage(), c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UserError("interrupted");
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One connection per thread, opened on first use and all closed together. */
    public static final class Connections implements AutoCloseable {
        private final Supplier<Connection> open;
        private final ThreadLocal<Connection> mine = new ThreadLocal<>();
        private final List<Connection> all = Collections.synchronizedList(new ArrayList<>());

        public Connections(Supplier<Connection> open) {
            this.open = open;
        }

        public Connection get() {
            Connection c = mine.get();
            if (c == null) {
                c = open.get();
                mine.set(c);
                all.add(c);
            }
            return c;
        }

        @Override
        public void close() {
            all.forEach(Databases::close);
        }
    }
}

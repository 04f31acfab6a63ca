package io.citusmigrate.sink;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.citusmigrate.testing.DebeziumSource;
import io.citusmigrate.testing.EmbeddedPg;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: Debezium's embedded engine on a source database, its events turned into the
 * SinkRecords a Connect worker would hand the task (one partition per topic, offsets counting
 * up), with the source settings the sink needs for type fidelity.
 */
final class DebeziumCapture implements AutoCloseable {
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final ExecutorService runner = Executors.newSingleThreadExecutor();
    private final BlockingQueue<SourceRecord> queue = new LinkedBlockingQueue<>();
    private final Map<String, Long> offsets = new HashMap<>();

    /** The settings that give the sink full fidelity (docs/SINK.md: "Debezium source settings"). */
    static Properties fidelitySettings(java.util.Collection<String> textTypes) {
        Properties p = new Properties();
        p.putAll(SourceSettings.forFidelity(textTypes));
        return p;
    }

    DebeziumCapture(EmbeddedPg pg, String db, String slot, String tables) throws Exception {
        this(pg, db, slot, tables, java.util.List.of());
    }

    /** {@code textTypes}: user-defined types the converter sends as text (what the CLI derives from the plan). */
    DebeziumCapture(EmbeddedPg pg, String db, String slot, String tables, java.util.Collection<String> textTypes) throws Exception {
        Path offsetsFile = Path.of("target", "offsets-" + slot + ".dat");
        Files.deleteIfExists(offsetsFile);
        Properties p = fidelitySettings(textTypes);
        p.putAll(DebeziumSource.embedded(pg, db, slot, tables, offsetsFile));
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("publication.name", slot + "_pub");
        p.setProperty("snapshot.mode", "initial");
        CountDownLatch started = new CountDownLatch(1);
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class)).using(p)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        started.countDown();
                    }
                })
                .notifying(ev -> queue.add(ev.record()))
                .build();
        runner.execute(engine);
        if (!started.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("Debezium did not start");
    }

    /** Waits for at least n change events (tombstones not counted) and returns all received so far. */
    List<SinkRecord> take(int n) throws InterruptedException {
        List<SinkRecord> out = new ArrayList<>();
        int changes = 0;
        long deadline = System.currentTimeMillis() + 120_000;
        while (changes < n) {
            SourceRecord r = queue.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            if (r == null) throw new IllegalStateException("timed out: " + changes + " of " + n + " change events");
            out.add(toSink(r));
            if (r.value() != null) changes++;
        }
        SourceRecord r;
        // the rest, until Debezium has been quiet for a while (on a busy machine its batches come seconds apart)
        while ((r = queue.poll(3, TimeUnit.SECONDS)) != null) out.add(toSink(r));
        return out;
    }

    private SinkRecord toSink(SourceRecord r) {
        long offset = offsets.merge(r.topic(), 1L, Long::sum) - 1;
        return new SinkRecord(r.topic(), 0, r.keySchema(), r.key(), r.valueSchema(), r.value(), offset, r.timestamp(),
                org.apache.kafka.common.record.TimestampType.CREATE_TIME);
    }

    @Override
    public void close() throws Exception {
        engine.close();
        runner.shutdown();
        runner.awaitTermination(60, TimeUnit.SECONDS);
    }
}

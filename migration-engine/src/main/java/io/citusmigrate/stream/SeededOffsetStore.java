package io.citusmigrate.stream;

import io.citusmigrate.sink.SinkPositions;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded engine's offset store, starting from the source offset the sink kept on the
 * target with the last rows it wrote: after a crash, Debezium resumes right after the last
 * change on the target, not from the slot's confirmed position, which may be behind it. Later
 * offsets stay in memory; the target's copy is the one that counts.
 *
 * <p>The engine builds its store by class name, so the seed is handed over under a token in
 * {@code offset.storage.file.filename}, the one store setting the engine passes through.
 */
public final class SeededOffsetStore extends MemoryOffsetBackingStore {
    static final String TOKEN_PROPERTY = "offset.storage.file.filename";
    private static final Map<String, Map<ByteBuffer, ByteBuffer>> SEEDS = new ConcurrentHashMap<>();

    /** Registers a seed for an engine of this name and returns the token its properties carry. */
    static String seed(String engineName, SinkPositions.SourceOffset o) {
        // the engine's own converters for offsets: JSON without schemas; the key is [engine name, partition]
        JsonConverter key = new JsonConverter();
        key.configure(Map.of("schemas.enable", "false"), true);
        JsonConverter value = new JsonConverter();
        value.configure(Map.of("schemas.enable", "false"), false);
        String token = "citus-migrate-seed-" + UUID.randomUUID();
        SEEDS.put(token, Map.of(ByteBuffer.wrap(key.fromConnectData(engineName, null, Arrays.asList(engineName, o.partition()))),
                ByteBuffer.wrap(value.fromConnectData(engineName, null, o.offset()))));
        return token;
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Object token = config.originals().get(TOKEN_PROPERTY);
        Map<ByteBuffer, ByteBuffer> seed = token == null ? null : SEEDS.remove(token.toString());
        if (seed != null) data.putAll(seed);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }
}

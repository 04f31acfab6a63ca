package io.citusmigrate.sink;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

import java.util.Collection;
import java.util.Map;

/**
 * The sink task. Not written yet: it refuses records rather than dropping them, so that no
 * change can be lost by running it too early.
 */
public final class CitusSinkTask extends SinkTask {
    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        new CitusSinkConfig(props);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        if (!records.isEmpty()) {
            throw new ConnectException("the Citus sink does not write records yet; refusing " + records.size() + " records rather than dropping them");
        }
    }

    @Override
    public void stop() {
        // no resources yet
    }
}

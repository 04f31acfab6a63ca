package io.citusmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A thin connector: validates its config and hands copies to the tasks. */
public final class CitusSinkConnector extends SinkConnector {
    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        new CitusSinkConfig(props); // fail fast on a bad config
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return CitusSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> p = new java.util.HashMap<>(props);
            p.put(CitusSinkTask.TASK_INDEX, String.valueOf(i)); // each task reports its own idle moments (see SinkPositions)
            p.put(CitusSinkTask.TASK_COUNT, String.valueOf(maxTasks)); // tasks that split the tables coordinate their moves
            out.add(p);
        }
        return out;
    }

    @Override
    public void stop() {
        // nothing held between start and stop
    }

    @Override
    public ConfigDef config() {
        return CitusSinkConfig.CONFIG_DEF;
    }

    @Override
    public String version() {
        return Version.get();
    }
}

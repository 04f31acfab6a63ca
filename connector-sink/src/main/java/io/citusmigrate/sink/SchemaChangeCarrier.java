package io.citusmigrate.sink;

import java.util.Map;

/**
 * What carries a schema change the sink meets in its stream to the target (citus-migrate's
 * engine, named by {@code citus.schema.changes.carrier}): the sink writes every change before it,
 * hands it over, and goes on with the target's tables as they are then.
 */
public interface SchemaChangeCarrier {
    /** The sink's settings (passwords resolved by the worker). */
    void configure(Map<String, String> sinkSettings);

    /**
     * Carries one change to the target; a change it cannot carry throws, naming it and what to do,
     * with nothing of it applied.
     *
     * @param sourceLsn the change's WAL position on the source (-1 when the record has none)
     */
    Carried carry(String content, long sourceLsn) throws java.sql.SQLException;

    /**
     * @param said         what was done, one line (empty when nothing was left to do: a change read again)
     * @param rulesChanged the sink's table rules changed (a table created or dropped): kept on the target
     *                     ({@link SinkPositions#tableRules}), where every task reads them again
     */
    record Carried(String said, boolean rulesChanged) {}

    /**
     * A change of a table the sink has no rule for under the name the change gives it, most likely
     * renamed by a change in another topic that no task has carried yet: its partition waits, as
     * the table's rows do, and the task stops with this message if none comes.
     */
    final class NotYet extends org.apache.kafka.connect.errors.ConnectException {
        public NotYet(String message) {
            super(message);
        }
    }
}

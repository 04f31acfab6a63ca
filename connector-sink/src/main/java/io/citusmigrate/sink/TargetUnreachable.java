package io.citusmigrate.sink;

import org.apache.kafka.connect.errors.RetriableException;

import java.sql.SQLException;

/**
 * A batch rolled back because a connection was lost (a Citus node or the source restarted, the
 * network): the task opens new connections on its next flush and writes the batch again. The
 * embedded run waits with backoff and says so; a Connect worker retries the batch.
 */
public final class TargetUnreachable extends RetriableException {
    TargetUnreachable(SQLException cause) {
        super(oneLine(cause), cause);
    }

    /** The first line of the error, as a user reads it. */
    private static String oneLine(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }
}

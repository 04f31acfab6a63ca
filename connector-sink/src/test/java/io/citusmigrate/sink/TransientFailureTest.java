package io.citusmigrate.sink;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which failures the sink waits out and retries (a node restarted) and which stop it (the data's or the schema's). */
class TransientFailureTest {
    @Test
    void aWorkerCitusCannotReachIsRetriedAndADataErrorIsNot() {
        assertTrue(CitusSinkTask.transientFailure(new SQLException("failure on connection marked as essential: 127.0.0.1:9701", "XX000")));
        assertTrue(CitusSinkTask.transientFailure(new SQLException("cannot connect to 127.0.0.1:39937 to fetch intermediate results", "XX000")));
        assertTrue(CitusSinkTask.transientFailure(new SQLException("terminating connection due to administrator command", "57P01")));
        assertTrue(CitusSinkTask.transientFailure(new SQLException("An I/O error occurred", "08006")));
        assertFalse(CitusSinkTask.transientFailure(new SQLException("duplicate key value violates unique constraint", "23505")));
        assertFalse(CitusSinkTask.transientFailure(new SQLException("cannot perform query with placements that were modified", "XX000")));
    }
}

package io.citusmigrate.sink;

import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two tasks of one sink: a batch that moves a subtree waits for the batches of the other task
 * that placed rows meanwhile, and the other task's next batch learns of the move (its caches of
 * tenant keys are dropped).
 */
class TaskCoordinationIT {
    static EmbeddedPg pg;

    @BeforeAll
    static void start() {
        pg = EmbeddedPg.start();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void aMoveWaitsForTheOtherTasksBatchAndTheOtherTaskLearnsOfIt() throws Exception {
        String db = pg.createDatabase("tasks");
        try (Connection a = pg.connect(db); Connection b = pg.connect(db)) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            SinkPositions.create(a);
            TaskCoordination placing = new TaskCoordination(a, "s");
            TaskCoordination moving = new TaskCoordination(b, "s");
            assertFalse(placing.begin(), "nothing moved yet");
            assertFalse(moving.begin());
            CompletableFuture<Void> move = CompletableFuture.runAsync(() -> {
                try {
                    moving.beforeMoves();
                    b.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(700);
            assertFalse(move.isDone(), "the move waits while the other task's batch, which placed rows by the old tenant, is open");
            a.commit();
            move.get(10, TimeUnit.SECONDS);
            assertTrue(placing.begin(), "the next batch of the other task learns of the move");
            a.commit();
            assertFalse(placing.begin(), "and only once");
            a.commit();
            assertFalse(moving.begin(), "the moving task knows of its own move");
            b.commit();
        }
    }
}

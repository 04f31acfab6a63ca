package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.cutover.Finish;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.LiveStream;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.UUID;

/**
 * `snapshot only` with `snapshot method = 'debezium'`: Debezium's snapshot of the plan's tables
 * through the sink, then foreign keys, sequences and `verify`'s comparison (the source should be
 * quiet: there is no exported snapshot to compare with).
 */
final class DebeziumSnapshotStep implements io.citusmigrate.steps.Step {
    @Override
    public String name() {
        return "snapshot through Debezium";
    }

    @Override
    public boolean run(Migration m) throws SQLException, InterruptedException {
        MigrationSettings s = m.settings;
        long rows;
        try (LiveStream stream = new LiveStream(s.command(), m.plan, m.catalog, s.slot(), s.publication(), "initial")) {
            String request = UUID.randomUUID().toString();
            stream.answering(request::equals);
            stream.start();
            m.say("snapshot through Debezium (slot " + s.slot() + ")");
            // a marker right after the slot's start comes through once the whole snapshot has
            try (Connection source = m.source()) {
                while (!LiveSource.slotExists(source, s.slot())) Thread.sleep(100);
                LiveSource.emitMarker(source, s.slot(), request);
            } catch (SQLException e) {
                throw m.sourceFailed(e);
            }
            StreamWatch.untilMarker(m, stream, "snapshot", "snapshot: %d rows written");
            rows = stream.applied();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted during Debezium's snapshot");
        }
        try (Connection source = m.source(); Connection target = m.target()) {
            // Debezium's snapshot reads only what it streams: UNLOGGED tables and large objects are copied here
            Finish.Done done = Finish.beforeAnswer(m.plan, m.catalog, m.script(), s.resetSequences(), source, target);
            m.say("  " + done.phrase());
            Finish.afterAnswer(m.plan, m.script(), s.slot(), s.publication(), s.indexBuilds(), source, target, m::target, "",
                    line -> m.say("  " + line));
            m.said("tables analyzed", SchemaCreator.runParallel(m.script(), EnumSet.of(Step.ANALYZE), s.indexBuilds(), m::target));
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        new AfterLoadStep().run(m); // the user's AFTER LOAD blocks come before the comparison, as after a bulk load
        var checks = Verification.compare(s.command(), m.plan);
        m.out.printf("Bulk load through Debezium's snapshot done on %s: %d rows in %.1f s%n", s.target(), rows, Migration.secs(m.started));
        return Verification.report(m.out, m.err, checks);
    }
}

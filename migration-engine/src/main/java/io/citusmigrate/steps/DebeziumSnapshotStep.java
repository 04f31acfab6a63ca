package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.cutover.Finish;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.LiveStream;

import io.citusmigrate.copy.Projection;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sink.RejectFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.UUID;

/**
 * `snapshot only` with `snapshot method = 'debezium'`: Debezium's snapshot of the plan's tables
 * through the sink, then the cutover's finishing sequence (foreign keys, sequences, ...) and the
 * reject files counted. Hands on {@link Written}; {@link Verify}, after the AFTER LOAD blocks,
 * compares as `verify` does (the source should be quiet: there is no exported snapshot to compare with).
 */
@io.citusmigrate.steps.Step.Makes(DebeziumSnapshotStep.Written.class)
final class DebeziumSnapshotStep implements io.citusmigrate.steps.Step {
    /** The rows the snapshot wrote, the orphan rows rejected, and where the reject files disagree with the source's orphans. */
    record Written(long rows, long rejected, List<String> rejectDifferences) {}

    @Override
    public boolean run(Migration m, Outputs in) throws SQLException, InterruptedException {
        MigrationSettings s = m.settings;
        long rows;
        // `snapshot only` as the sink's config reads it (--snapshot-only is not in the file): orphans then go to reject files with `skip`
        var cmd = s.command().withOptions(s.command().options().with(Option.SNAPSHOT_ONLY, true));
        if (s.skipOrphans()) clearRejects(m);
        try (LiveStream stream = new LiveStream(cmd, m.plan, m.catalog, s.slot(), s.publication(), "initial")) {
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
            m.said("tables analyzed", SchemaCreator.runParallel(m.script(), EnumSet.of(Step.ANALYZE), s.indexBuilds(), m::target,
                    SchemaCreator.byRows(m.plan)));
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
        List<String> rejectDifferences = new ArrayList<>();
        long rejected = s.skipOrphans() ? rejects(m, rejectDifferences) : 0;
        in.add(new Written(rows, rejected, List.copyOf(rejectDifferences)));
        return true;
    }

    /**
     * After the user's AFTER LOAD blocks (as after a bulk load): the source compared with the
     * target as `verify` does, and the reject files' differences. Needs {@link Written}.
     */
    @io.citusmigrate.steps.Step.Needs(Written.class)
    static final class Verify implements io.citusmigrate.steps.Step {
        @Override
        public boolean run(Migration m, Outputs in) {
            MigrationSettings s = m.settings;
            Written w = in.get(Written.class);
            var checks = Verification.compare(s.command(), m.plan);
            m.out.printf("Bulk load through Debezium's snapshot done on %s: %d rows in %.1f s%s%n", s.target(), w.rows(), Migration.secs(m.started),
                    w.rejected() == 0 ? "" : ", " + w.rejected() + " orphan row" + (w.rejected() == 1 ? "" : "s") + " rejected to " + s.rejectDirectory());
            boolean ok = Verification.report(m.out, m.err, checks);
            w.rejectDifferences().forEach(d -> m.err.println("verification failed: " + d));
            m.err.flush();
            return ok && w.rejectDifferences().isEmpty();
        }
    }

    /** A new run's reject files replace an earlier run's: their count is this run's. */
    static void clearRejects(Migration m) {
        for (TablePlan t : m.plan.tables()) {
            try {
                Files.deleteIfExists(RejectFiles.file(m.settings.rejectDirectory(), t.target().schema(), t.target().name()));
            } catch (IOException e) {
                throw new UserError("cannot remove the earlier reject file of " + t.target() + ": " + e.getMessage());
            }
        }
    }

    /** A live migration's (`on orphan rows skip` through Debezium's snapshot): the reject files counted, a line each. */
    static void rejectedSaid(Migration m) {
        for (TablePlan t : m.plan.tables()) {
            if (t.isPartition()) continue;
            Path file = RejectFiles.file(m.settings.rejectDirectory(), t.target().schema(), t.target().name());
            try {
                long n = RejectFiles.rows(file);
                if (n > 0) m.say("  " + n + " orphan row" + (n == 1 ? "" : "s") + " of " + t.target() + " rejected to " + file);
            } catch (IOException e) {
                throw new UserError("cannot read the reject file " + file + ": " + e.getMessage());
            }
        }
    }

    /**
     * The sink's reject files counted, one line each as the bulk load says them, and held against
     * the source's orphans (the source is quiet): the source's rows less those rejected are what
     * the target must hold, which the comparison then checks. Adds the differences; returns the rows rejected.
     */
    private static long rejects(Migration m, List<String> differences) {
        long rejectedRows = 0;
        try (Connection source = m.source(); Statement st = source.createStatement()) {
            for (TablePlan t : m.plan.tables()) {
                if (t.isPartition()) continue;
                Path file = RejectFiles.file(m.settings.rejectDirectory(), t.target().schema(), t.target().name());
                long n;
                try {
                    n = RejectFiles.rows(file);
                } catch (IOException e) {
                    throw new UserError("cannot read the reject file " + file + ": " + e.getMessage());
                }
                Projection p = new Projection(t);
                long orphans = 0;
                if (p.canHaveOrphans()) {
                    try (ResultSet rs = st.executeQuery(p.checksumOfOrphans(false, false))) {
                        rs.next();
                        orphans = rs.getLong(1);
                    }
                }
                if (n > 0) m.say("  rejected " + n + " orphan rows of " + t.target() + " to " + file);
                if (n != orphans) {
                    differences.add(t.target() + ": the source has " + orphans + " orphan rows, the reject file " + file + " holds " + n);
                }
                rejectedRows += n;
            }
        } catch (SQLException e) {
            throw m.sourceFailed(e);
        }
        return rejectedRows;
    }
}

package io.citusmigrate.steps;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.live.StepRecord;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The steps of `migrate`, chosen by mode (and, for `--resume`, by where the interrupted run got to), and their run. */
public final class Steps {
    private Steps() {}

    static List<Step> choose(Migration m) {
        MigrationSettings s = m.settings;
        List<Step> steps = new ArrayList<>();
        if (s.resume()) {
            switch (ResumePoint.find(m)) {
                case AFTER_CUTOVER -> {
                    steps.add(new AfterCutoverStep());
                    return steps;
                }
                case STREAM -> {
                    steps.add(new StreamStep(s.copies() ? "no_data" : "initial"));
                    steps.add(new AfterCutoverStep());
                    return steps;
                }
                case START_OVER -> { } // as a first run, below
            }
        }
        if (s.dataOnly()) {
            // the rows into the tables the target has: checked against the plan first, nothing dropped or created
            steps.addAll(List.of(new SnapshotStep(), new ExistingTablesStep(), new CopyStep(), new ExistingTablesStep.Indexes(),
                    new SequencesStep(), new VerifyStep(), new AfterLoadStep(), new LoadReportStep()));
            return steps;
        }
        if (s.streams()) steps.add(new PublicationStep());
        if (s.copies()) steps.add(new SnapshotStep());
        steps.add(new SchemaStep());
        if (s.copies()) steps.add(new CopyStep());
        steps.add(new KeysStep());
        if (s.copies()) {
            steps.add(new SequencesStep());
            steps.add(new VerifyStep());
        }
        if (s.viaDebezium() && !s.live()) {
            steps.add(new DebeziumSnapshotStep());
            return steps;
        }
        steps.add(new AfterLoadStep());
        steps.add(new LoadReportStep());
        if (s.live()) {
            if (s.copies()) steps.add(new LoadRecordStep());
            steps.add(new StreamStep(s.copies() ? "no_data" : "initial"));
            steps.add(new AfterCutoverStep());
        }
        return steps;
    }

    /** The schema a stream writes into (a Connect deployment): tables, distribution, keys and lookup indexes; foreign keys come at the cutover. */
    public static void schemaForStreaming(Migration m) {
        m.settings.refuseDataOnlyElsewhere();
        try {
            for (Step step : List.of(new SchemaStep(), new KeysStep())) step.run(m);
        } catch (SQLException e) {
            throw m.targetFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.citusmigrate.UserError("interrupted");
        }
    }

    /**
     * Runs the migration's steps in order; returns the exit status. A step that fails before the
     * stream began removes the slot and publication this run made (they would only hold WAL).
     */
    public static boolean run(Migration m) {
        m.settings.refuseDataOnlyElsewhere();
        try {
            if (!timed(m, new PlanStep(), 0)) return false;
            int position = 0;
            for (Step step : choose(m)) {
                if (!timed(m, step, ++position)) {
                    dropOwnSlot(m);
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            dropOwnSlot(m);
            throw e;
        } catch (SQLException e) {
            dropOwnSlot(m);
            throw m.targetFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dropOwnSlot(m);
            throw new io.citusmigrate.UserError("interrupted");
        } finally {
            if (m.snapshot != null) m.snapshot.close();
        }
    }

    private static boolean timed(Migration m, Step step, int position) throws SQLException, InterruptedException {
        boolean record = position > 0 && m.settings.streams() && !(step instanceof PublicationStep);
        if (record) record(m, step, position, true);
        CrashPoints.reach(step.name().start());
        long t = System.nanoTime();
        boolean go = step.run(m);
        m.seconds.put(step.name().label(), Migration.secs(t));
        if (record && go) record(m, step, position, false);
        CrashPoints.reach(step.name().end());
        return go;
    }

    /** A live migration's steps, kept on the target: `status` shows them, a rerun says where its predecessor died. */
    private static void record(Migration m, Step step, int position, boolean start) {
        try (Connection target = m.target()) {
            if (start) StepRecord.started(target, m.settings.slot(), step.name().label(), position);
            else StepRecord.finished(target, m.settings.slot(), step.name().label());
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
    }

    private static void dropOwnSlot(Migration m) {
        if (m.snapshot != null) m.snapshot.close(); // its session holds the slot's snapshot
        m.snapshot = null;
        if (!m.ownsSlot) return;
        try (Connection source = m.source()) {
            LiveSource.drop(source, m.settings.slot(), m.settings.publication());
        } catch (SQLException | RuntimeException e) {
            // the run's own error is the one to report
        }
    }
}

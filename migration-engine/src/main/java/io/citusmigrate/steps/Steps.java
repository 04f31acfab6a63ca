package io.citusmigrate.steps;

import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.progress.StepRecord;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The steps of `migrate`, chosen by mode (and, for `--resume`, by where the interrupted run got to), and their run. */
public final class Steps {
    private Steps() {}

    /**
     * The pipeline of this run's mode, each step under its name: a first run's whole, or, for
     * `--resume`, what is left of it after where the interrupted run got to ({@link ResumePoint},
     * which hands on to the steps what they must know of it); checked before its first step runs
     * ({@link PipelineCheck}).
     */
    static List<Step.Named> choose(Migration m, Outputs outputs) {
        MigrationSettings s = m.settings;
        ResumePoint.Where from = s.resume() ? ResumePoint.find(m, outputs) : ResumePoint.Where.START_OVER;
        return PipelineCheck.checked(choose(s, from), s, outputs.types());
    }

    /** The pipeline of a mode from where a run begins (a first run's begins as a start over's), unchecked. */
    static List<Step.Named> choose(MigrationSettings s, ResumePoint.Where from) {
        List<Step.Named> steps = new ArrayList<>();
        switch (from) {
            case AFTER_CUTOVER -> {
                add(steps, StepName.AFTER_CUTOVER, new AfterCutoverStep());
                return steps;
            }
            case STREAM -> {
                add(steps, StepName.STREAM, new StreamStep(s.copies() ? "no_data" : "initial"));
                add(steps, StepName.AFTER_CUTOVER, new AfterCutoverStep());
                return steps;
            }
            case START_OVER -> { } // as a first run, below
        }
        if (s.dataOnly()) {
            // the rows into the tables the target has: checked against the plan first, nothing dropped or created
            add(steps, StepName.SNAPSHOT, new SnapshotStep());
            add(steps, StepName.EXISTING_TABLES, new ExistingTablesStep());
            add(steps, StepName.DATA, new CopyStep());
            add(steps, StepName.INDEXES, new ExistingTablesStep.Indexes());
            add(steps, StepName.SEQUENCES, new SequencesStep());
            add(steps, StepName.VERIFICATION, new VerifyStep());
            add(steps, StepName.AFTER_LOAD, new AfterLoadStep());
            add(steps, StepName.REPORT, new LoadReportStep());
            return steps;
        }
        if (s.streams()) add(steps, StepName.PUBLICATION, source(s, new PublicationStep()));
        if (s.copies()) add(steps, StepName.SNAPSHOT, source(s, new SnapshotStep()));
        add(steps, StepName.SCHEMA, new SchemaStep());
        if (s.copies()) add(steps, StepName.DATA, source(s, new CopyStep()));
        add(steps, StepName.KEYS, new KeysStep());
        if (s.copies()) {
            add(steps, StepName.SEQUENCES, new SequencesStep());
            add(steps, StepName.VERIFICATION, source(s, new VerifyStep()));
        }
        if (s.viaDebezium() && !s.live()) {
            // the user's AFTER LOAD blocks come before the comparison, as after a bulk load
            add(steps, StepName.DEBEZIUM_SNAPSHOT, new DebeziumSnapshotStep());
            add(steps, StepName.AFTER_LOAD, new AfterLoadStep());
            add(steps, StepName.VERIFICATION, new DebeziumSnapshotStep.Verify());
            return steps;
        }
        add(steps, StepName.AFTER_LOAD, new AfterLoadStep());
        add(steps, StepName.REPORT, new LoadReportStep());
        if (s.live()) {
            if (s.copies()) add(steps, StepName.BULK_LOAD_RECORD, source(s, new LoadRecordStep()));
            add(steps, StepName.STREAM, new StreamStep(s.copies() ? "no_data" : "initial"));
            add(steps, StepName.AFTER_CUTOVER, new AfterCutoverStep());
        }
        return steps;
    }

    /** A step that reads the source's rows: run for each tenant database when databases are consolidated. */
    private static Step source(MigrationSettings s, Step step) {
        return s.tenantDatabases() ? new EachDatabase(step) : step;
    }

    private static void add(List<Step.Named> steps, StepName name, Step step) {
        steps.add(new Step.Named(name, step));
    }

    /** The schema a stream writes into (a Connect deployment): tables, distribution, keys and lookup indexes; foreign keys come at the cutover. */
    public static void schemaForStreaming(Migration m) {
        m.settings.refuseDataOnlyElsewhere();
        Outputs outputs = new Outputs();
        try {
            for (Step.Named step : PipelineCheck.checked(forConnect(), m.settings, outputs.types())) step.step().run(m, outputs);
        } catch (SQLException e) {
            throw m.targetFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.citusmigrate.UserError("interrupted");
        }
    }

    /** The pipeline of a Connect deployment, before its connectors (unchecked). */
    static List<Step.Named> forConnect() {
        List<Step.Named> steps = new ArrayList<>();
        add(steps, StepName.SCHEMA, new SchemaStep());
        add(steps, StepName.KEYS, new KeysStep());
        return steps;
    }

    /**
     * Runs the migration's steps in order; returns the exit status. From the publication until the
     * bulk load is recorded (or the stream begins) the run owns the slot and the publication it
     * made: a step that fails then removes them (they would only hold WAL).
     */
    public static boolean run(Migration m) {
        return run(m, new Outputs());
    }

    /** The same, the bulk load's summary table written to {@code summary} instead of the console (pgloader's --summary). */
    public static boolean run(Migration m, PrintWriter summary) {
        Outputs outputs = new Outputs();
        outputs.add(new LoadReportStep.SummaryTo(summary));
        return run(m, outputs);
    }

    private static boolean run(Migration m, Outputs outputs) {
        m.settings.refuseDataOnlyElsewhere();
        Run run = new Run(m, outputs);
        try {
            if (!run.timed(new Step.Named(StepName.PLAN, new PlanStep()), 0)) return false;
            int position = 0;
            for (Step.Named step : choose(m, outputs)) {
                if (!run.timed(step, ++position)) {
                    run.dropOwnSlot();
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            run.dropOwnSlot();
            throw e;
        } catch (SQLException e) {
            run.dropOwnSlot();
            throw m.targetFailed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.dropOwnSlot();
            throw new io.citusmigrate.UserError("interrupted");
        } finally {
            run.closeSnapshot();
        }
    }

    /** One run of a pipeline: its outputs, and whether it owns the slot. */
    private static final class Run {
        private final Migration m;
        private final Outputs outputs;
        /** This run made the slot and publication and has not handed them to a stream yet. */
        private boolean ownsSlot;

        Run(Migration m, Outputs outputs) {
            this.m = m;
            this.outputs = outputs;
        }

        boolean timed(Step.Named step, int position) throws SQLException, InterruptedException {
            boolean record = position > 0 && m.settings.streams() && step.name() != StepName.PUBLICATION;
            // from the stream's start the slot holds changes not on the target yet
            if (step.name() == StepName.STREAM) ownsSlot = false;
            if (record) record(step.name(), position, true);
            CrashPoints.reach(step.name().start());
            long t = System.nanoTime();
            boolean go = step.step().run(m, outputs);
            outputs.timed(step.name(), Migration.secs(t));
            if (go && step.name() == StepName.PUBLICATION) ownsSlot = true;
            // recorded: a failure from here on leaves the slot, and --resume streams from it
            if (go && step.name() == StepName.BULK_LOAD_RECORD) ownsSlot = false;
            if (record && go) record(step.name(), position, false);
            CrashPoints.reach(step.name().end());
            return go;
        }

        /** A live migration's steps, kept on the target: `status` shows them, a rerun says where its predecessor died. */
        private void record(StepName step, int position, boolean start) {
            m.onTarget(target -> {
                if (start) StepRecord.started(target, m.settings.slot(), step.label(), position);
                else StepRecord.finished(target, m.settings.slot(), step.label());
            });
        }

        void closeSnapshot() {
            outputs.find(SnapshotStep.Taken.class).ifPresent(t -> t.snapshot().close());
            outputs.databases().forEach(o -> o.find(SnapshotStep.Taken.class).ifPresent(t -> t.snapshot().close()));
        }

        void dropOwnSlot() {
            closeSnapshot(); // its session holds the slot's snapshot
            if (!ownsSlot) return;
            List<Migration> sources = m.settings.tenantDatabases() ? m.plan.tenantDatabases().stream().map(m::forDatabase).toList() : List.of(m);
            for (Migration one : sources) {
                try (Connection source = one.source()) {
                    LiveSource.drop(source, one.settings.slot(), one.settings.publication());
                } catch (SQLException | RuntimeException e) {
                    // the run's own error is the one to report
                }
            }
        }
    }
}

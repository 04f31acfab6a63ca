package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.progress.BulkLoadRecord;
import io.citusmigrate.progress.CutoverTable;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.PlanFingerprint;
import io.citusmigrate.progress.StepRecord;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Where `--resume` picks up, from what the interrupted run recorded on the target: after the
 * cutover's answer, only what follows it; after a finished bulk load, the stream from the slot;
 * during the bulk load, a start over, said first (its snapshot died with it). A command file
 * whose plan changed since is refused, naming what changed.
 */
final class ResumePoint {
    private ResumePoint() {}

    /** Where a run begins its pipeline; a first run begins where a start over does. */
    enum Where { AFTER_CUTOVER, STREAM, START_OVER }

    /** A rerun starting over, handed on to the schema step: how far the interrupted bulk load got. */
    record StartOver(BulkLoadRecord.State state) {}

    /** Tenant databases the interrupted run was not streaming yet (matched since it began): taken in once streaming, not streamed at once. */
    record NotStreamedYet(java.util.Set<String> databases) {}

    /** Where the rerun goes on; a start over hands on {@link StartOver}. */
    static Where find(Migration m, Outputs out) {
        MigrationSettings s = m.settings;
        if (s.tenantDatabases()) return findEach(m, out);
        try (Connection source = m.source(); Connection target = m.target()) {
            if (!LiveSource.slotExists(source, s.slot())) throw new UserError("--resume: the source has no slot " + s.slot() + " to stream from");
            LiveSource.SlotHealth health = LiveSource.slotHealth(source, s.slot());
            if (health.lost()) throw new UserError(LiveSource.SlotHealth.invalidated(s.file().toString()));
            if (cutoverAnswered(m, target)) return Where.AFTER_CUTOVER;
            if (!s.copies()) return Where.STREAM; // Debezium's snapshot starts over by itself; its writes are idempotent
            BulkLoadRecord.State state = BulkLoadRecord.state(target, s.slot());
            if (state == BulkLoadRecord.State.FINISHED) return Where.STREAM;
            if (state == BulkLoadRecord.State.STARTED && !s.createTables() && !s.truncate()) {
                throw new UserError("--resume: the bulk load of the interrupted run did not finish, and its snapshot died with it, so it"
                        + " must start over; but the tables are yours (`create no tables`) and hold its partial copy: empty them (or add"
                        + " `truncate` to the command file), then run `citus-migrate migrate " + s.file() + " --resume` again");
            }
            m.say("--resume: the bulk load of the interrupted run did not finish, and the snapshot it read died with that run."
                    + " Starting over: the slot " + s.slot() + " and the publication " + s.publication() + " are dropped and made again"
                    + (state == BulkLoadRecord.State.STARTED ? "; the plan's tables on the target, which that run created and partly loaded,"
                    + " are " + (s.createTables() ? "dropped and created again" : "emptied") : "")
                    + "; then the bulk load runs from a new snapshot, and streaming follows from the new slot.");
            LiveSource.drop(source, s.slot(), s.publication());
            out.add(new StartOver(state));
            return Where.START_OVER;
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
    }

    /**
     * What every resume reads first under the migration's slot: where the interrupted run stopped
     * (said), and whether its cutover had answered (said); else its plan must be the one the
     * interrupted run started with, or the resume is refused naming what changed.
     */
    private static boolean cutoverAnswered(Migration m, Connection target) throws SQLException {
        MigrationSettings s = m.settings;
        StepRecord.read(target, s.slot()).stream().filter(e -> e.finished() == null).reduce((a, b) -> b).ifPresent(e ->
                m.say("--resume: the interrupted run stopped in its step \"" + e.step() + "\" (begun " + e.started() + ")"));
        if (CutoverTable.isDone(target, s.slot())) {
            m.say("--resume: the cutover of the interrupted run had answered; what comes after it is done now");
            return true;
        }
        String was = BulkLoadRecord.plan(target, s.slot());
        List<String> changes = was == null ? List.of() : PlanFingerprint.changes(was, PlanFingerprint.of(m.plan, s.fingerprint()));
        if (!changes.isEmpty()) {
            throw new UserError("--resume refused: the plan of " + s.file() + " is not the one the interrupted run started with:\n  "
                    + String.join("\n  ", changes) + "\nResume with the command file as it was, or start over: `citus-migrate cleanup "
                    + s.file() + "`, then `citus-migrate migrate " + s.file() + "`");
        }
        return false;
    }

    /**
     * Tenant databases consolidated: the same, from every database's slot and bulk load record
     * (the cutover and the plan are the migration's, under its own slot). The stream goes on
     * only when every database's bulk load finished; else every database starts over.
     */
    private static Where findEach(Migration m, Outputs out) {
        MigrationSettings s = m.settings;
        List<Migration> dbs = m.plan.tenantDatabases().stream().map(m::forDatabase).toList();
        java.util.Set<String> later = new java.util.TreeSet<>();
        try (Connection target = m.target()) {
            for (Migration one : dbs) {
                try (Connection source = one.source()) {
                    if (!LiveSource.slotExists(source, one.settings.slot())) {
                        // never loaded: a database matched since (a tenant signing up), taken in once streaming as it would have been
                        if (BulkLoadRecord.state(target, one.settings.slot()) == BulkLoadRecord.State.NONE) {
                            later.add(one.settings.source().database());
                            continue;
                        }
                        throw new UserError("--resume: the tenant database " + one.settings.source().database() + " has no slot " + one.settings.slot()
                                + " to stream from (a database matched since the migration began?); start over: `citus-migrate cleanup " + s.file()
                                + "`, then `citus-migrate migrate " + s.file() + "`");
                    }
                    if (LiveSource.slotHealth(source, one.settings.slot()).lost()) throw new UserError(LiveSource.SlotHealth.invalidated(s.file().toString()));
                }
            }
            if (cutoverAnswered(m, target)) return Where.AFTER_CUTOVER;
            boolean all = true;
            for (Migration one : dbs) {
                if (!later.contains(one.settings.source().database())) all &= BulkLoadRecord.state(target, one.settings.slot()) == BulkLoadRecord.State.FINISHED;
            }
            if (all && later.size() < dbs.size()) {
                if (!later.isEmpty()) {
                    m.say("--resume: tenant database" + (later.size() == 1 ? " " : "s ") + String.join(", ", later) + " matched since the"
                            + " interrupted run began: taken in once streaming");
                    out.add(new NotStreamedYet(java.util.Set.copyOf(later)));
                }
                return Where.STREAM;
            }
            BulkLoadRecord.State state = BulkLoadRecord.state(target, s.slot());
            if (state == BulkLoadRecord.State.STARTED && !s.createTables() && !s.truncate()) {
                throw new UserError("--resume: the bulk load of the interrupted run did not finish, and its snapshots died with it, so it"
                        + " must start over; but the tables are yours (`create no tables`) and hold its partial copy: empty them (or add"
                        + " `truncate` to the command file), then run `citus-migrate migrate " + s.file() + " --resume` again");
            }
            m.say("--resume: the bulk load of the interrupted run did not finish in every tenant database, and the snapshots it read died with"
                    + " that run. Starting over: every database's slot and publication are dropped and made again"
                    + (state == BulkLoadRecord.State.STARTED ? "; the plan's tables on the target, which that run created and partly loaded, are "
                    + (s.createTables() ? "dropped and created again" : "emptied") : "") + "; then the bulk load runs from new snapshots.");
            for (Migration one : dbs) {
                try (Connection source = one.source()) {
                    LiveSource.drop(source, one.settings.slot(), one.settings.publication());
                }
            }
            out.add(new StartOver(state));
            return Where.START_OVER;
        } catch (SQLException e) {
            throw m.targetFailed(e);
        }
    }
}

package io.citusmigrate.steps;

import io.citusmigrate.steps.MigrationSettings.Mode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.citusmigrate.steps.StepName.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pipeline of each mode, in order, and its check when it is built: each step's inputs made by a step before it. */
class StepsTest {
    private static MigrationSettings settings(Mode mode, boolean viaDebezium, boolean dataOnly) {
        return new MigrationSettings(Path.of("migrate.load"), null, null, null, mode, viaDebezium, false, false, "slot", "slot", 1, 1,
                false, Path.of("rejects"), true, false, false, List.of(), List.of(), List.of(), dataOnly, false, false, false);
    }

    /** The names of a mode's pipeline from where a run begins, once the check has passed it. */
    private static List<StepName> checked(MigrationSettings s, ResumePoint.Where from, Set<Class<?>> given) {
        return PipelineCheck.checked(Steps.choose(s, from), s, given).stream().map(Step.Named::name).toList();
    }

    private static List<StepName> firstRun(MigrationSettings s) {
        return checked(s, ResumePoint.Where.START_OVER, Set.of());
    }

    @Test
    void schemaOnly() {
        assertEquals(List.of(SCHEMA, KEYS, AFTER_LOAD, REPORT), firstRun(settings(Mode.SCHEMA_ONLY, false, false)));
    }

    @Test
    void bulkLoad() {
        assertEquals(List.of(SNAPSHOT, SCHEMA, DATA, KEYS, SEQUENCES, VERIFICATION, AFTER_LOAD, REPORT),
                firstRun(settings(Mode.BULK_LOAD, false, false)));
    }

    @Test
    void aBulkLoadOfTenantDatabasesReadsEachDatabaseInTheStepsThatReadTheSource() {
        io.citusmigrate.load.LoadCommand cmd = io.citusmigrate.load.LoadFileParser.parse("t.load", """
                load database from postgresql://u@h/postgres into postgresql://u@c/db with snapshot only
                  distribute databases matching ~/^tenant_/ into 'public' using tenant_id;
                """, k -> null);
        MigrationSettings s = MigrationSettings.of(Path.of("t.load"), cmd, false, false, false);
        List<Step.Named> steps = PipelineCheck.checked(Steps.choose(s, ResumePoint.Where.START_OVER), s, Set.of());
        assertEquals(List.of(SNAPSHOT, SCHEMA, DATA, KEYS, SEQUENCES, VERIFICATION, AFTER_LOAD, REPORT), steps.stream().map(Step.Named::name).toList());
        assertEquals(List.of(SNAPSHOT, DATA, VERIFICATION), steps.stream().filter(n -> n.step() instanceof EachDatabase).map(Step.Named::name).toList());
    }

    @Test
    void aLiveMigrationOfTenantDatabasesHasASlotAndABulkLoadRecordPerDatabase() {
        io.citusmigrate.load.LoadCommand cmd = io.citusmigrate.load.LoadFileParser.parse("t.load", """
                load database from postgresql://u@h/postgres into postgresql://u@c/db
                  distribute databases matching ~/^tenant_/ into 'public' using tenant_id;
                """, k -> null);
        MigrationSettings s = MigrationSettings.of(Path.of("t.load"), cmd, false, false, false);
        List<Step.Named> steps = PipelineCheck.checked(Steps.choose(s, ResumePoint.Where.START_OVER), s, Set.of());
        assertEquals(List.of(PUBLICATION, SNAPSHOT, DATA, VERIFICATION, BULK_LOAD_RECORD),
                steps.stream().filter(n -> n.step() instanceof EachDatabase).map(Step.Named::name).toList());
        assertEquals("citus_migrate_db_tenant_7", MigrationSettings.slotFor(s.slot(), "tenant_7"));
        assertEquals("citus_migrate_db_" + String.format("%08x", "Tenant-7".hashCode()), MigrationSettings.slotFor(s.slot(), "Tenant-7"),
                "a name a slot cannot hold: its hash");
    }

    @Test
    void dataOnly() {
        assertEquals(List.of(SNAPSHOT, EXISTING_TABLES, DATA, INDEXES, SEQUENCES, VERIFICATION, AFTER_LOAD, REPORT),
                firstRun(settings(Mode.BULK_LOAD, false, true)));
    }

    @Test
    void live() {
        assertEquals(List.of(PUBLICATION, SNAPSHOT, SCHEMA, DATA, KEYS, SEQUENCES, VERIFICATION, AFTER_LOAD, REPORT, BULK_LOAD_RECORD,
                STREAM, AFTER_CUTOVER), firstRun(settings(Mode.LIVE, false, false)));
    }

    @Test
    void bulkLoadThroughDebezium() {
        assertEquals(List.of(PUBLICATION, SCHEMA, KEYS, DEBEZIUM_SNAPSHOT, AFTER_LOAD, VERIFICATION),
                firstRun(settings(Mode.BULK_LOAD, true, false)));
    }

    @Test
    void liveThroughDebezium() {
        assertEquals(List.of(PUBLICATION, SCHEMA, KEYS, AFTER_LOAD, REPORT, STREAM, AFTER_CUTOVER), firstRun(settings(Mode.LIVE, true, false)));
    }

    @Test
    void connect() {
        MigrationSettings s = settings(Mode.LIVE, false, false).onConnect();
        assertEquals(List.of(SCHEMA, KEYS), PipelineCheck.checked(Steps.forConnect(), s, Set.of()).stream().map(Step.Named::name).toList());
    }

    @Test
    void resumes() {
        MigrationSettings s = settings(Mode.LIVE, false, false);
        assertEquals(List.of(STREAM, AFTER_CUTOVER), checked(s, ResumePoint.Where.STREAM, Set.of()));
        assertEquals(List.of(AFTER_CUTOVER), checked(s, ResumePoint.Where.AFTER_CUTOVER, Set.of()));
        assertEquals(firstRun(s), checked(s, ResumePoint.Where.START_OVER, Set.of(ResumePoint.StartOver.class)));
    }

    @Test
    void aStepWhoseInputNoEarlierStepMakesFailsTheBuild() {
        MigrationSettings s = settings(Mode.BULK_LOAD, false, false);
        List<Step.Named> noSnapshot = new ArrayList<>(Steps.choose(s, ResumePoint.Where.START_OVER));
        noSnapshot.removeIf(step -> step.name() == SNAPSHOT);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PipelineCheck.checked(noSnapshot, s, Set.of()));
        assertTrue(e.getMessage().contains("\"data\" needs Taken"), e.getMessage());
    }

    @Test
    void anInputMadeOnlyLaterFailsTheBuild() {
        MigrationSettings s = settings(Mode.BULK_LOAD, false, false);
        List<Step.Named> reportFirst = new ArrayList<>(Steps.choose(s, ResumePoint.Where.START_OVER));
        Step.Named report = reportFirst.remove(reportFirst.size() - 1);
        reportFirst.add(0, report);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PipelineCheck.checked(reportFirst, s, Set.of()));
        assertTrue(e.getMessage().contains("\"report\" needs Checked, Copied"), e.getMessage());
    }

    @Test
    void whatTheResumePointGaveCounts() {
        MigrationSettings s = settings(Mode.BULK_LOAD, false, false);
        List<Step.Named> onlyData = Steps.choose(s, ResumePoint.Where.START_OVER).stream().filter(step -> step.name() == DATA).toList();
        assertEquals(List.of(DATA), PipelineCheck.checked(onlyData, s, Set.of(SnapshotStep.Taken.class)).stream().map(Step.Named::name).toList());
    }
}

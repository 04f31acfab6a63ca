package io.citusmigrate.cutover;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.copy.LargeObjects;
import io.citusmigrate.copy.SequenceReset;
import io.citusmigrate.crash.CrashPoints;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.LookupIndexes;
import io.citusmigrate.stream.UnloggedTables;
import io.citusmigrate.plan.Plan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The cutover's finishing sequence, one for every path that ends a migration: a running
 * `migrate` answering its marker, a Connect deployment's cutover, and a snapshot through Debezium.
 * Before the answer (writes stopped, every change on the target): sequences, large objects,
 * UNLOGGED tables, foreign keys and triggers. After it (the application writes): the lookup
 * indexes, the slot and the publication go, the foreign keys are validated, materialized views
 * refreshed.
 */
public final class Finish {
    private Finish() {}

    /** What the part before the answer did. */
    public record Done(List<Statement> script, int sequences, int foreignKeys, int triggers, LargeObjects.Sync objects, String unlogged) {
        /** The cutover's last line's middle: "N sequences set to the source's, M foreign keys added, ...". */
        public String phrase() {
            return sequences + " sequences set to the source's, " + foreignKeys + " foreign keys added" + SchemaScript.triggersCreated(script, triggers)
                    + objects.phrase() + unlogged;
        }
    }

    /**
     * With writes stopped and every change before the marker on the target. Foreign keys come
     * now: a batch of the stream may hold a child's change before its parent's. NOT VALID is
     * instant and checks every new write; those an interrupted cutover made already are kept.
     * Triggers after the last replicated change: before, they would fire again on replicated rows.
     */
    public static Done beforeAnswer(Plan plan, Catalog catalog, List<Statement> script, boolean resetSequences, Connection source,
                                    Connection target) throws SQLException {
        int sequences = resetSequences ? SequenceReset.run(catalog, plan, source, target).size() : 0;
        // what the rows point at now is what the source holds
        LargeObjects.Sync objects = LargeObjects.sync(source, target);
        long unloggedRows = UnloggedTables.copyAgain(plan, source, target);
        CrashPoints.reach("cutover.after-sequences");
        int fks = new SchemaCreator(target, line -> { }).runKeepingExisting(script, EnumSet.of(Step.FOREIGN_KEYS));
        CrashPoints.reach("cutover.after-foreign-keys");
        int triggers = new SchemaCreator(target, line -> { }).runKeepingExisting(script, EnumSet.of(Step.TRIGGERS));
        return new Done(script, sequences, fks, triggers, objects, UnloggedTables.phrase(plan, unloggedRows));
    }

    /**
     * Tenant databases consolidated: the same, with each target sequence set past the furthest of
     * every database's ({@code sequences}, read from each) and the UNLOGGED tables copied again by
     * the caller ({@code unlogged}, how the last line says it); a tenant database's large objects
     * are refused, so there are none to copy.
     */
    public static Done beforeAnswer(Plan plan, List<Statement> script, List<SequenceReset.Reset> sequences, String unlogged, Connection target)
            throws SQLException {
        SequenceReset.apply(target, sequences);
        CrashPoints.reach("cutover.after-sequences");
        int fks = new SchemaCreator(target, line -> { }).runKeepingExisting(script, EnumSet.of(Step.FOREIGN_KEYS));
        CrashPoints.reach("cutover.after-foreign-keys");
        int triggers = new SchemaCreator(target, line -> { }).runKeepingExisting(script, EnumSet.of(Step.TRIGGERS));
        return new Done(script, sequences.size(), fks, triggers, new LargeObjects.Sync(0, 0, 0), unlogged);
    }

    /**
     * After the answer, while the application writes: what only served the stream goes, then
     * validation and refreshes. {@code removed} opens the line that says so (what the caller removed before).
     */
    public static void afterAnswer(Plan plan, List<Statement> script, String slot, String publication, int builds, Connection source,
                                   Connection target, Supplier<Connection> targets, String removed, Consumer<String> say) throws SQLException {
        afterAnswer(plan, script, () -> {
            LiveSource.drop(source, slot, publication);
            return removed + "slot " + slot + " and publication " + publication + " dropped";
        }, builds, target, targets, say);
    }

    /** What only served the stream on the source (its slots and publications), removed; returns the line that says so. */
    public interface SourceRemoval {
        String remove() throws SQLException;
    }

    /** The same, the source's part done by {@code removal} (several tenant databases' slots). */
    public static void afterAnswer(Plan plan, List<Statement> script, SourceRemoval removal, int builds, Connection target,
                                   Supplier<Connection> targets, Consumer<String> say) throws SQLException {
        LookupIndexes.drop(target, plan);
        say.accept(removal.remove());
        long t = System.nanoTime();
        int validated = SchemaCreator.runParallel(script, EnumSet.of(Step.VALIDATE), builds, targets, SchemaCreator.byRows(plan));
        say.accept(String.format(java.util.Locale.ROOT, "foreign keys validated (%d, while the application writes) in %.1f s", validated,
                (System.nanoTime() - t) / 1e9));
        int refreshed = new SchemaCreator(target, x -> { }).run(script, EnumSet.of(Step.REFRESH), false);
        if (refreshed > 0) say.accept(refreshed + " materialized views refreshed");
    }
}

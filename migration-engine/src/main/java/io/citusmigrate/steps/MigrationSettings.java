package io.citusmigrate.steps;

import io.citusmigrate.UserError;
import io.citusmigrate.load.ConnectionUrl;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import io.citusmigrate.load.Options;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything the steps of a migration go by, read once from the command file and the command
 * line, with every default resolved here: no step reads the command file itself.
 *
 * @param file        the command file (named in advice to the user)
 * @param command     the parsed command file, for the library calls that take it whole
 *                    (schema script, bulk loader, connector configs)
 * @param mode        schema only, a bulk load only, or a live migration
 * @param viaDebezium the snapshot is Debezium's own, through the sink, not the bulk COPY
 * @param slot        the replication slot (default {@code citus_migrate_<target database>})
 * @param publication the publication (default: the slot's name)
 * @param workers     parallel COPY and verification workers
 * @param indexBuilds parallel key and index builds
 * @param rejectDirectory where orphan rows go with {@code on orphan rows skip}
 * @param dataOnly    {@code data only}: the rows into the tables the target has, checked against the plan; nothing created
 * @param dropIndexes {@code drop indexes} (with data only): the tables' indexes dropped before the rows, created again after
 * @param reindex     {@code reindex} (with data only): the tables' indexes rebuilt after the rows
 * @param disableTriggers {@code disable triggers} (with data only): the tables' triggers disabled while the rows go in
 */
public record MigrationSettings(Path file, LoadCommand command, ConnectionUrl source, ConnectionUrl target, Mode mode,
                                boolean viaDebezium, boolean rehearsal, boolean resume, String slot, String publication,
                                int workers, int indexBuilds, boolean skipOrphans, Path rejectDirectory, boolean createTables,
                                boolean truncate, boolean resetSequences, List<LoadCommand.SqlBlock> beforeLoad,
                                List<LoadCommand.SqlBlock> afterCreateSchema, List<LoadCommand.SqlBlock> afterLoad,
                                boolean dataOnly, boolean dropIndexes, boolean reindex, boolean disableTriggers) {

    public enum Mode {
        /** {@code schema only}: tables, distribution, keys; no data. */
        SCHEMA_ONLY,
        /** {@code snapshot only}: the data once, then stop. */
        BULK_LOAD,
        /** Neither: the bulk load, then the changes streamed until the cutover. */
        LIVE
    }

    public static MigrationSettings of(Path file, LoadCommand cmd, boolean rehearsal, boolean snapshotOnly, boolean resume) {
        Options o = cmd.options();
        Mode mode = o.flag(Option.SCHEMA_ONLY) ? Mode.SCHEMA_ONLY
                : snapshotOnly || o.flag(Option.SNAPSHOT_ONLY) ? Mode.BULK_LOAD : Mode.LIVE;
        boolean viaDebezium = mode != Mode.SCHEMA_ONLY && "debezium".equals(o.string(Option.SNAPSHOT_METHOD));
        String slot = slot(cmd);
        boolean dataOnly = o.flag(Option.DATA_ONLY);
        return new MigrationSettings(file, cmd, cmd.source(), cmd.target(), mode, viaDebezium, rehearsal, resume, slot,
                o.string(Option.PUBLICATION_NAME) != null ? o.string(Option.PUBLICATION_NAME) : slot, o.integer(Option.WORKERS),
                o.integer(Option.MAX_PARALLEL_CREATE_INDEX), "skip".equals(o.string(Option.ON_ORPHAN_ROWS)),
                Path.of(o.string(Option.REJECT_DIRECTORY) == null ? "rejects" : o.string(Option.REJECT_DIRECTORY)),
                o.flag(Option.CREATE_TABLES), o.flag(Option.TRUNCATE), o.flag(Option.RESET_SEQUENCES), cmd.beforeLoad(),
                cmd.afterCreateSchema(), cmd.afterLoad(), dataOnly, dataOnly && o.flag(Option.DROP_INDEXES), dataOnly && o.flag(Option.REINDEX),
                dataOnly && o.flag(Option.DISABLE_TRIGGERS));
    }

    /** The replication slot of the command file's migration: `slot name`, else one per target database. */
    public static String slot(LoadCommand cmd) {
        String given = cmd.options().string(Option.SLOT_NAME);
        if (given != null) return given;
        String s = ("citus_migrate_" + cmd.target().database()).toLowerCase().replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    /** The same for a deployment to Kafka Connect: a live migration whose snapshot is Debezium's. */
    public MigrationSettings onConnect() {
        return new MigrationSettings(file, command, source, target, Mode.LIVE, true, false, false, slot, publication, workers, indexBuilds,
                skipOrphans, rejectDirectory, createTables, truncate, resetSequences, beforeLoad, afterCreateSchema, afterLoad, dataOnly, dropIndexes, reindex, disableTriggers);
    }

    /**
     * A tenant database's slot: slot names are the source server's, not a database's, so each
     * database's has its own, named after it (stable whatever databases come and go).
     */
    public static String slotFor(String slot, String database) {
        String s = slot + "_" + database;
        if (database.matches("[a-z0-9_]+") && s.length() <= 63) return s;
        return (slot.length() > 54 ? slot.substring(0, 54) : slot) + "_" + String.format("%08x", database.hashCode());
    }

    /** Tenant databases consolidated: the steps that read the source run once for each ({@link EachDatabase}). */
    public boolean tenantDatabases() {
        return command != null && io.citusmigrate.catalog.TenantDatabases.rule(command).isPresent(); // none: a pipeline built in a test
    }

    /** The same settings reading one tenant database of the source's server instead of the source URL's. */
    MigrationSettings forDatabase(String database) {
        ConnectionUrl url = io.citusmigrate.catalog.TenantDatabases.url(command, database);
        String own = slotFor(slot, database);
        return new MigrationSettings(file, command.withSource(url), url, target, mode, viaDebezium, rehearsal, resume, own, publication, workers,
                indexBuilds, skipOrphans, rejectDirectory, createTables, truncate, resetSequences, beforeLoad, afterCreateSchema, afterLoad, dataOnly,
                dropIndexes, reindex, disableTriggers);
    }

    /** `data only` and `on error resume next` are the bulk COPY's alone: said before anything is touched (`status`, `verify` read such a file too). */
    public void refuseDataOnlyElsewhere() {
        if (dataOnly && mode != Mode.BULK_LOAD) {
            throw new UserError("`data only` loads the rows once into the tables the target has: it needs `snapshot only` (or"
                    + " --snapshot-only, or `citus-migrate FILE`); a live migration creates the tables it streams into");
        }
        if (dataOnly && viaDebezium) {
            throw new UserError("`data only` is done by the bulk COPY: it does not go with `snapshot method = 'debezium'`");
        }
        if ("resume next".equals(command.options().string(Option.ON_ERROR)) && (mode == Mode.LIVE || viaDebezium)) {
            throw new UserError("`on error resume next` acts on the rows of the bulk COPY (`snapshot only`, --snapshot-only or"
                    + " `citus-migrate FILE`): a stream applies later changes to the rows it left out, so a live migration"
                    + " and `snapshot method = 'debezium'` stop at a row's error (`on error stop`)");
        }
    }

    /** What of these settings a rerun must share with the run it goes on from (see PlanFingerprint). */
    public String fingerprint() {
        String text;
        try {
            text = io.citusmigrate.stream.PlanFingerprint.fileLine(java.nio.file.Files.readAllBytes(file));
        } catch (java.io.IOException | RuntimeException e) {
            text = ""; // compared table by table, as when it was edited
        }
        return "snapshot method " + (viaDebezium ? "debezium" : "copy") + ", publication " + publication + ", reset sequences "
                + (resetSequences ? "on" : "off") + text;
    }

    /** The rows are copied by the bulk COPY (not through Debezium's snapshot). */
    public boolean copies() {
        return mode != Mode.SCHEMA_ONLY && !viaDebezium;
    }

    /** A slot and a publication carry changes: a live migration, or Debezium's snapshot. */
    public boolean streams() {
        return mode == Mode.LIVE || viaDebezium;
    }

    /**
     * The lookup indexes are made when streaming starts, after the bulk load is verified (the
     * verification's tenant check chose a plan through them 6x slower, on Citus 13.2.2); without
     * a copy (Debezium's snapshot, a Connect deployment) they come with the keys.
     */
    public boolean lookupIndexesAtStreamStart() {
        return live() && copies();
    }

    public boolean live() {
        return mode == Mode.LIVE;
    }
}

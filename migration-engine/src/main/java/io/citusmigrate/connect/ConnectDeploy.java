package io.citusmigrate.connect;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.db.Databases;
import io.citusmigrate.progress.DeploymentRecord;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.PartitionTruncates;
import io.citusmigrate.stream.StreamedTypes;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sink.SinkPositions;
import io.citusmigrate.steps.Migration;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.steps.Steps;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * `deploy`: Debezium's PostgreSQL source and the Citus sink for the plan put on an existing Kafka
 * Connect cluster through its REST API, once the cluster's plugins have validated both configs;
 * then the wait until their tasks run and the sink writes. A redeploy keeps settings added on
 * the cluster since, and refuses (unless forced) to overwrite settings changed there. A first
 * deploy that fails is undone: nothing of it keeps WAL on the source.
 */
public record ConnectDeploy(MigrationSettings settings, DeployRequest r, ConnectCluster cluster, PrintWriter out, PrintWriter err) {
    /** @param settings the command file's, {@link MigrationSettings#onConnect() on Connect} */
    public ConnectDeploy(MigrationSettings settings, DeployRequest r, PrintWriter out, PrintWriter err) {
        this(settings, r, new ConnectCluster(r.connect()), out, err);
    }

    /** --delete: both connectors go; the slot and the publication stay, for `cleanup`. */
    public void delete() {
        for (String c : ConnectorPair.names(r.name())) out.println(c + (cluster.delete(c) ? ": deleted" : ": not there"));
        out.println("the replication slot " + settings.slot() + " and the publication " + settings.publication() + " stay on the source:"
                + " `citus-migrate cleanup " + settings.file() + "` removes them");
        out.flush();
    }

    /** Deploys (or, dry, validates and prints); false when refused or the connectors did not come up. */
    public boolean run(Catalog catalog, Plan plan) throws InterruptedException {
        // Debezium takes the snapshot on a Connect cluster
        if (StreamedTypes.refuse(plan, catalog, true, err, "nothing was deployed")) return false;
        LiveSource.refuseKeyless(plan);
        // the schema changes are captured by an event trigger, which only a superuser makes: refused now, never silently off
        Databases.onSource(settings.command(), source -> {
            io.citusmigrate.stream.SchemaCapture.refuseWithoutSuperuser(source);
            return null;
        });
        ConnectorPair pair = ConnectorPair.of(settings, catalog, plan, r);
        // every invalid setting, by name, before anything is registered
        List<String> invalid = pair.invalid(cluster);
        if (!invalid.isEmpty()) return refuse("the Connect cluster " + r.connect() + " finds these settings invalid; nothing was deployed:", invalid);
        if (r.dryRun()) {
            pair.print(out, r.passwords());
            return true;
        }
        // a redeploy: settings added on the cluster stay, settings changed there are not overwritten silently
        List<String> changed = pair.merge(cluster, out);
        if (!changed.isEmpty() && !r.force()) {
            return refuse("these settings were changed on the cluster since they were deployed; nothing was redeployed (--force"
                    + " overwrites them):", changed);
        }
        changed.forEach(c -> out.println("overwritten (--force): " + c));
        boolean first = cluster.config(pair.source()) == null && cluster.config(pair.sink()) == null;
        if (first && !r.noSchema()) createSchema(catalog, plan);
        // The publication, before Debezium's slot: an event trigger adds a table created while streaming to it, in the same
        // transaction. A TRUNCATE of one partition is published through no table: triggers on the partitions say it; the schema
        // changes an event trigger says (both made again by a redeploy that finds the publication, before the slot exists:
        // nothing after it goes uncaptured).
        if (first) Databases.onSource(settings.command(), source -> {
            if (!LiveSource.publicationExists(source, settings.publication())) {
                LiveSource.createPublication(source, settings.publication(), plan, settings.command().distribute());
                return null;
            }
            PartitionTruncates.replace(source, settings.publication(), plan);
            Databases.inTransaction(source, () -> {
                io.citusmigrate.stream.SchemaCapture.drop(source, settings.publication());
                io.citusmigrate.stream.SchemaCapture.create(source, settings.publication(), plan, settings.command().distribute());
            });
            return null;
        });
        // A new migration (no slot yet: Debezium makes it and takes a new snapshot) begins at the source's WAL position now. What
        // an earlier one kept is forgotten; the changes it left in the topics (a deploy undone, a migration cleaned up) are passed
        // over, or its snapshot would bring back rows deleted since.
        Long began = first ? Databases.onSource(settings.command(), source -> LiveSource.slotExists(source, settings.slot())
                ? null : LiveSource.currentLsn(source)) : null;
        Databases.onTarget(settings.command(), target -> {
            if (began != null) SinkPositions.begin(target, pair.sink(), began);
            DeploymentRecord.save(target, settings.slot(), r.connect(), r.name());
            return null;
        });
        cluster.put(pair.sink(), pair.sinkConfig());
        cluster.put(pair.source(), pair.sourceConfig());
        String orphans = settings.command().options().string(Option.ON_ORPHAN_ROWS);
        out.println("deployed " + pair.source() + " (Debezium, slot " + settings.slot() + ", snapshot then streaming) and " + pair.sink() + " to "
                + r.connect() + "; orphan rows: " + orphans + (orphans.equals("skip")
                ? " (to the dead-letter topic " + r.name() + "-dlq)" : " (the sink's task stops naming the row)"));
        out.println("waiting for both connectors' tasks to run ...");
        out.flush();
        return awaitRunning(pair, first);
    }

    private boolean refuse(String why, List<String> what) {
        err.println(why);
        what.forEach(w -> err.println("  " + w));
        err.flush();
        return false;
    }

    private void createSchema(Catalog catalog, Plan plan) {
        out.println("creating the schema on " + settings.command().target() + " (foreign keys come at the cutover)");
        out.flush();
        if (Databases.onSource(settings.command(), source -> LiveSource.slotExists(source, settings.slot()))) {
            throw new UserError("the source already has the replication slot " + settings.slot() + ": a migration is under way or was"
                    + " interrupted. Deploy again without creating the schema (--no-schema), or remove it with `citus-migrate cleanup "
                    + settings.file() + "`");
        }
        Steps.schemaForStreaming(new Migration(settings, catalog, plan, out, err));
    }

    /** Until both connectors run and the sink has written (true), or one failed or the timeout passed (false). */
    private boolean awaitRunning(ConnectorPair pair, boolean first) throws InterruptedException {
        long deadline = System.currentTimeMillis() + r.timeoutSeconds() * 1000L;
        boolean said = false;
        while (true) {
            String a = cluster.state(pair.source());
            String b = cluster.state(pair.sink());
            if (a.equals("RUNNING") && b.equals("RUNNING")) {
                if (!said) {
                    out.println(pair.source() + ": RUNNING, " + pair.sink() + ": RUNNING; waiting for the snapshot's first rows on the target ...");
                    out.flush();
                    said = true;
                }
                // the sink task wrote its first batch, or found nothing to write (an empty source)
                // (and still runs a moment later: a task that fails on its first rows may have marked its partitions drained)
                if (Databases.onTarget(settings.command(), c -> SinkPositions.started(c, pair.sink())) && stillRunning(pair)) {
                    out.println("the snapshot is under way: the sink writes into " + settings.command().target() + ". `citus-migrate status " + settings.file()
                            + " --connect " + r.connect() + "` follows it; `citus-migrate cutover " + settings.file() + " --connect " + r.connect()
                            + (r.name().equals("citus-migrate") ? "" : " --name " + r.name()) + "` ends it");
                    out.flush();
                    return true;
                }
            }
            if (a.startsWith("FAILED") || b.startsWith("FAILED") || System.currentTimeMillis() > deadline) {
                err.println(pair.source() + ": " + a + "\n" + pair.sink() + ": " + b);
                if (first) {
                    undo(pair);
                } else {
                    err.println("the earlier deployment's connectors stay registered: `citus-migrate deploy " + settings.file() + " --connect "
                            + r.connect() + " --delete` removes them, then `citus-migrate cleanup " + settings.file() + "` the slot and the publication");
                }
                err.flush();
                return false;
            }
            Thread.sleep(500);
        }
    }

    private boolean stillRunning(ConnectorPair pair) throws InterruptedException {
        Thread.sleep(2000);
        return cluster.state(pair.source()).equals("RUNNING") && cluster.state(pair.sink()).equals("RUNNING");
    }

    /**
     * A first deploy that failed: both connectors deleted, and the slot and publication the source
     * connector made dropped once it let go of them, so that nothing keeps WAL on the source.
     */
    private void undo(ConnectorPair pair) throws InterruptedException {
        String slot = settings.slot();
        String publication = settings.publication();
        for (String c : List.of(pair.source(), pair.sink())) cluster.deleteWithOffsets(c);
        try (Connection source = Databases.connect("source", settings.command().source()); Connection target = Databases.target(settings.command())) {
            LiveSource.awaitNoReader(source, slot, 60_000);
            LiveSource.drop(source, slot, publication);
            DeploymentRecord.forget(target, slot);
            err.println("deploy failed and undone: both connectors deleted, the slot " + slot + " and the publication " + publication
                    + " dropped; nothing of this deployment runs");
        } catch (SQLException e) {
            err.println("deploy failed; its connectors are deleted, but the slot could not be dropped (" + Databases.oneLine(e, null)
                    + "): `citus-migrate cleanup " + settings.file() + "` removes it");
        }
    }
}

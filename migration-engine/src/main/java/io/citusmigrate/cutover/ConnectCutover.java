package io.citusmigrate.cutover;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.steps.MigrationSettings;
import io.citusmigrate.db.Databases;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.stream.AutovacuumPause;
import io.citusmigrate.connect.ConnectCluster;
import io.citusmigrate.stream.LiveProgress;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.stream.LookupIndexes;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.sink.SinkPositions;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.EnumSet;
import java.util.List;

/**
 * The cutover of a migration deployed to a Kafka Connect cluster. Its changes travel through
 * topics, one per table, that the sink's tasks read independently, so no single marker can come
 * through after all of them. Instead: once writes have stopped, a marker goes into the source's
 * WAL; when the slot's confirmed position passes it, Debezium has handed every change before it
 * to Kafka; when every sink task has then drained its partitions and flushed (it notes that
 * moment on the target), all of them are on the target. Then sequences and foreign keys, and
 * the connectors, the slot and the publication go.
 */
public final class ConnectCutover {
    private final MigrationSettings s;
    private final Catalog catalog;
    private final Plan plan;
    private final ConnectCluster cluster;
    private final List<String> connectors;
    private final PrintWriter out;

    public ConnectCutover(MigrationSettings s, Catalog catalog, Plan plan, ConnectCluster cluster, List<String> connectors, PrintWriter out) {
        this.s = s;
        this.catalog = catalog;
        this.plan = plan;
        this.cluster = cluster;
        this.connectors = connectors;
        this.out = out;
    }

    public void run(boolean stopWrites, int timeoutSeconds) throws InterruptedException {
        String sinkConnector = connectors.get(1);
        java.util.Map<String, String> sinkConfig = cluster.config(sinkConnector);
        if (sinkConfig == null) throw new UserError("the Connect cluster " + cluster + " has no connector " + sinkConnector + ": nothing to cut over");
        String sinkName = sinkConfig.getOrDefault("sink.name", sinkConnector);
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        try (Connection source = Databases.connect("source", s.source()); Connection target = Databases.target(s.command())) {
            int paused = AutovacuumPause.pause(target, s.slot(), AutovacuumPause.tables(plan, s.command().options()), this::say);
            if (paused > 0) say(AutovacuumPause.pausedLine(paused));
            boolean done = false;
            try {
                try (CutoverUndo undo = new CutoverUndo(how -> giveWritesBack(stopWrites, how))) {
                    try {
                        cutOver(source, target, sinkConnector, sinkConfig, sinkName, stopWrites, t0, deadline, undo);
                    } catch (SQLException | RuntimeException | InterruptedException e) {
                        undo.run("failed");
                        throw e;
                    }
                }
                done = true;
            } finally {
                if (paused > 0 && !done) AutovacuumPause.resumeAfterFailure(target, s.slot(), new PrintWriter(System.err, true));
            }
            int resumed = AutovacuumPause.resume(target, s.slot());
            if (resumed > 0) say(AutovacuumPause.resumedLine(resumed));
        } catch (SQLException e) {
            throw new UserError("the cutover failed: " + Databases.oneLine(e, null));
        }
    }

    /** A cutover that cannot finish before every change is on the target gives the writes back. */
    private void giveWritesBack(boolean stopWrites, String how) {
        if (!stopWrites) return;
        try (Connection c = Databases.connect("source", s.source())) {
            LiveSource.giveWritesBack(c);
            say("cutover " + how + " and undone: writes given back, the source is writable again; the connectors stream on."
                    + " Run the cutover again when ready");
        } catch (SQLException | RuntimeException e) {
            say("cutover " + how + ", and the writes could not be given back: " + (e instanceof SQLException q ? Databases.oneLine(q, null)
                    : e.getMessage()) + ". ALTER DATABASE ... RESET default_transaction_read_only gives them back");
        }
    }

    private void cutOver(Connection source, Connection target, String sinkConnector, java.util.Map<String, String> sinkConfig, String sinkName,
                         boolean stopWrites, long t0, long deadline, CutoverUndo undo) throws SQLException, InterruptedException {
        if (stopWrites) {
            int ended = LiveSource.stopWrites(source);
            say("writes stopped: the source database is read-only for new sessions, " + ended + " open session" + (ended == 1 ? "" : "s") + " ended");
        }
        String lsn = LiveSource.emitMarker(source, s.slot(), "connect");
        say("cutover marker written to the source's WAL at " + lsn + "; waiting for Debezium to hand every change before it to Kafka"
                + " (the slot's confirmed position passes it when the worker next commits offsets: offset.flush.interval.ms)");
        while (!confirmedPast(source, lsn)) {
            check(deadline, "the slot's confirmed position did not pass the marker");
            Thread.sleep(200);
        }
        // An empty poll right after the hand-over may only mean a fetch was still under way: an idle
        // moment counts from two seconds on (four fetch waits of the consumer's default 500 ms).
        Timestamp handed = new Timestamp(now(target).getTime() + 2000);
        // the sink's topics that hold records: those Debezium has written to (a table with no change has none yet)
        java.util.Set<String> written = cluster.activeTopics(connectors.get(0));
        // (by its topics.regex: a table created while streaming has a topic of its own)
        java.util.function.Predicate<String> read = sinkConfig.containsKey("topics.regex")
                ? java.util.regex.Pattern.compile(sinkConfig.get("topics.regex")).asMatchPredicate()
                : java.util.Set.of(sinkConfig.getOrDefault("topics", "").split("\\s*,\\s*"))::contains;
        List<String> topics = written.stream().filter(read).toList();
        int tasks = Math.max(cluster.taskCount(sinkConnector), Integer.parseInt(sinkConfig.getOrDefault("tasks.max", "1")));
        say("waiting until each partition of the sink's " + topics.size() + " topics is drained by the task holding it (of "
                + tasks + " task" + (tasks == 1 ? "" : "s") + "), which then writes what it holds");
        while (!SinkPositions.notIdleSince(target, sinkName, topics, handed).isEmpty()) {
            String state = cluster.state(sinkConnector);
            if (state.startsWith("FAILED")) throw new UserError("the sink " + sinkConnector + " failed: " + state);
            check(deadline, "the sink's tasks did not catch up");
            Thread.sleep(200);
        }
        // the sink carries column changes, indexes, constraints and tables created or dropped: the target must have the
        // source's tables, columns and indexes now
        List<String> drift = SchemaDrift.of(plan, s.command().options().flag(io.citusmigrate.load.Option.CREATE_INDEXES), target);
        if (!drift.isEmpty()) {
            throw new UserError("the source's schema changed since the deployment in a way the Connect deployment did not carry: "
                    + String.join("; ", drift) + ". Make the target match (or run the migration with `citus-migrate migrate " + s.file()
                    + "`, which carries tables renamed too), then cut over again");
        }
        // privileges, policies and comments change no row: the target takes the source's as they are now
        say(io.citusmigrate.stream.AccessChanges.sync(plan, plan, target));
        List<Statement> script = SchemaScript.of(plan, s.command().options());
        Finish.Done done = Finish.beforeAnswer(plan, catalog, script, s.resetSequences(), source, target);
        undo.done();
        out.printf("cutover done in %.1f s: every change before the marker is on the target, %s. Point the application at the target.%n",
                (System.nanoTime() - t0) / 1e9, done.phrase());
        out.flush();
        for (String c : connectors) cluster.pause(c);
        for (String c : connectors) cluster.delete(c);
        waitForSlotRelease(source, deadline);
        // the next deployment under this name starts from its own topics, not from this one's positions
        SinkPositions.forget(target, sinkName);
        Finish.afterAnswer(plan, script, s.slot(), s.publication(), s.indexBuilds(), source, target, () -> Databases.target(s.command()),
                "connectors " + String.join(" and ", connectors) + " removed; ", this::say);
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }

    private static void check(long deadline, String what) {
        if (System.currentTimeMillis() > deadline) {
            throw new UserError("cutover timed out: " + what + " (`citus-migrate status FILE --connect URL` says how far it is)");
        }
    }

    private boolean confirmedPast(Connection source, String lsn) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_catalog.pg_replication_slots"
                + " WHERE slot_name = ?")) {
            ps.setString(1, lsn);
            ps.setString(2, s.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new UserError("the source has no slot " + s.slot() + " any more");
                return rs.getBoolean(1);
            }
        }
    }

    private static Timestamp now(Connection target) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT clock_timestamp()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    /** The deleted source connector's task lets go of the slot shortly after. */
    private void waitForSlotRelease(Connection source, long deadline) throws SQLException, InterruptedException {
        while (LiveSource.slotReader(source, s.slot()) != null && System.currentTimeMillis() < deadline + 60_000) Thread.sleep(200);
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.cutover.CutoverRequest;
import io.citusmigrate.cutover.LiveCutover;
import io.citusmigrate.db.Databases;
import io.citusmigrate.stream.LiveSource;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.cutover.ConnectCutover;
import io.citusmigrate.steps.MigrationSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import io.citusmigrate.cutover.CutoverSource;
import io.citusmigrate.load.ConnectionUrl;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import io.citusmigrate.load.Option;
import io.citusmigrate.plan.Plan;

/**
 * {@code citus-migrate cutover FILE}: ends a live migration. Run it once writes to the source
 * have stopped: it writes a marker into the source's WAL and waits until the running
 * {@code migrate} ({@link LiveCutover}), or the Connect deployment ({@link ConnectCutover}), has
 * applied everything up to it and set the sequences.
 */
@Command(name = "cutover", mixinStandardHelpOptions = true,
        description = "Ends a live migration: once writes to the source have stopped, waits until the running `migrate` (or, with --connect, the Connect deployment) has applied every change, then sets the sequences and adds the foreign keys.")
final class CutoverCommand implements Callable<Integer> {
    @CommandLine.Mixin
    LiveFile in;

    @CommandLine.Option(names = "--timeout", defaultValue = "300", description = "seconds to wait for the migration to catch up (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Option(names = "--stop-writes",
            description = "make the source database read-only for new sessions and end the open ones before the marker"
                    + " (needs the database's owner); a cutover that cannot finish, or is interrupted, gives the writes back")
    boolean stopWrites;

    @CommandLine.Option(names = "--max-lag", defaultValue = "10",
            description = "refuse, before stopping anything, when catching up would take longer than this many seconds at the"
                    + " stream's recent pace; `off`: cut over whatever the lag (default: ${DEFAULT-VALUE})")
    String maxLag;

    @Override
    public Integer call() throws InterruptedException {
        double maxLagSeconds = CutoverRequest.maxLag(maxLag);
        // the target connection the recorded deployment is read on is the cutover's own
        LiveFile.Opened opened = in.settingsAndTarget(in.out());
        MigrationSettings settings = opened.settings();
        LoadCommand cmd = settings.command();
        CutoverRequest request = new CutoverRequest(in.file, settings.slot(), stopWrites, timeoutSeconds, maxLagSeconds);
        long t0 = System.nanoTime();
        try (Connection target = opened.target()) {
            if (settings.tenantDatabases() && in.cluster() == null) return databases(settings, request, t0, target);
            Supplier<Plan> plan = in.cluster() == null ? planAhead(cmd) : null;
            try (Connection source = Databases.connect("source", cmd.source())) {
                if (!LiveSource.slotExists(source, request.slot())) {
                    throw new UserError("the source has no slot " + request.slot() + ": no live migration of this command file is streaming");
                }
                if (in.cluster() != null) {
                    Session s = Session.open(cmd);
                    new ConnectCutover(settings, s.catalog(), s.plan(), in.cluster(), in.connectors(), in.out()).run(stopWrites, timeoutSeconds);
                    return Main.OK;
                }
                boolean done = new LiveCutover(cmd, request, in.out(), in.err()).run(source, target, plan, t0);
                return done ? Main.OK : Main.FAILED;
            }
        } catch (SQLException e) {
            throw new UserError("the cutover failed: " + Databases.oneLine(e, null));
        }
    }

    /**
     * The plan, when the cutover will need it (the tables its foreign keys join), read from the
     * source on a thread of its own from the start: it overlaps connecting and the estimate (about
     * 0.3 s on a busy source) and is over before writes stop, which ends the source's other sessions.
     */
    private static Supplier<Plan> planAhead(LoadCommand cmd) {
        if (!cmd.options().flag(Option.FOREIGN_KEYS)) return () -> Session.open(cmd).plan();
        CompletableFuture<Plan> plan = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                plan.complete(Session.open(cmd).plan());
            } catch (Throwable e) {
                plan.completeExceptionally(e);
            }
        }, "plan-ahead");
        t.setDaemon(true);
        t.start();
        return () -> {
            try {
                return plan.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r; // a UserError says what failed, as read here
                throw e;
            }
        };
    }

    /**
     * Tenant databases consolidated: every tenant database with its stream's slot is stopped and
     * marked, and the running `migrate` answers once for all. A database the rule matches that
     * has no slot (created after the migration began) is not streamed: the cutover is refused.
     */
    private Integer databases(MigrationSettings settings, CutoverRequest request, long t0, Connection target) throws InterruptedException {
        LoadCommand cmd = settings.command();
        List<CutoverSource> sources = new ArrayList<>();
        try {
            List<String> unstreamed = new ArrayList<>();
            for (String db : io.citusmigrate.catalog.TenantDatabases.names(cmd)) {
                ConnectionUrl url = io.citusmigrate.catalog.TenantDatabases.url(cmd, db);
                Connection c = Databases.connect("source", url);
                String slot = MigrationSettings.slotFor(request.slot(), db);
                boolean streamed;
                try {
                    streamed = LiveSource.slotExists(c, slot);
                } catch (SQLException e) {
                    Databases.close(c);
                    throw e;
                }
                if (streamed) {
                    sources.add(new CutoverSource(c, url, slot));
                } else {
                    Databases.close(c);
                    unstreamed.add(db);
                }
            }
            if (sources.isEmpty()) {
                throw new UserError("no tenant database has a slot of this migration (" + request.slot() + "_...): no live migration of this"
                        + " command file is streaming");
            }
            if (!unstreamed.isEmpty()) {
                throw new UserError("cutover refused, nothing was stopped: the tenant database" + (unstreamed.size() == 1 ? " " : "s ")
                        + String.join(", ", unstreamed) + (unstreamed.size() == 1 ? " is" : " are") + " not streamed yet: created since the"
                        + " migration began, `migrate` takes a new tenant database in within seconds (its bulk load first; `status` shows its"
                        + " stream) or says why it cannot; cut over once it streams");
            }
            boolean done = new LiveCutover(cmd, request, in.out(), in.err()).run(sources, target, () -> Session.open(cmd).plan(), t0);
            return done ? Main.OK : Main.FAILED;
        } catch (SQLException e) {
            throw new UserError("the cutover failed: " + Databases.oneLine(e, null));
        } finally {
            sources.forEach(s -> Databases.close(s.connection()));
        }
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/** What every command starts with: the command file, the source catalog and the plan. */
record Session(LoadCommand command, Catalog catalog, Plan plan) {

    static LoadCommand load(Path file, PrintWriter err) {
        LoadCommand cmd = LoadFileParser.parse(file);
        cmd.warnings().forEach(w -> err.println(w));
        err.flush();
        return cmd;
    }

    static Session open(LoadCommand cmd) {
        if (io.citusmigrate.catalog.TenantDatabases.rule(cmd).isPresent()) return databases(cmd);
        Catalog catalog;
        try (Connection source = Databases.connect("source", cmd.source())) {
            catalog = new CatalogReader(source).read(cmd);
        } catch (SQLException e) {
            throw new UserError("reading the source catalog of " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
        // a consolidation of tenant schemas keeps the tenant keys the target recorded
        boolean consolidates = cmd.distribute().stream().anyMatch(io.citusmigrate.load.DistributeRule::isConsolidation);
        if (!catalog.access().namesRoles() && !consolidates) return new Session(cmd, catalog, Planner.plan(cmd, catalog));
        // roles are the cluster's: a grant, owner or policy naming a role the target lacks stops the plan
        try (Connection target = Databases.connect("target", cmd.target())) {
            return new Session(cmd, catalog, Planner.plan(cmd, catalog, new CatalogReader(target).targetFacts(cmd)));
        } catch (SQLException | UserError e) {
            // the plan says the roles were not checked; a migration fails on the target anyway
            return new Session(cmd, catalog, Planner.plan(cmd, catalog));
        }
    }

    /**
     * Tenant databases consolidated: every matched database's catalog read, the first standing
     * for all (the session's catalog); the target's recorded tenant keys kept where it has them.
     */
    private static Session databases(LoadCommand cmd) {
        java.util.SortedMap<String, Catalog> catalogs = io.citusmigrate.catalog.TenantDatabases.catalogs(cmd);
        java.util.Optional<io.citusmigrate.catalog.TargetFacts> facts;
        try (Connection target = Databases.connect("target", cmd.target())) {
            facts = java.util.Optional.of(new CatalogReader(target).targetFacts(cmd));
        } catch (SQLException | UserError e) {
            facts = java.util.Optional.empty();
        }
        Plan plan = Planner.plan(cmd, catalogs, facts);
        return new Session(cmd, catalogs.isEmpty() ? null : catalogs.get(catalogs.firstKey()), plan);
    }

    /** When Citus would reject the plan: its errors said on {@code err}, and true. */
    boolean refused(PrintWriter err) {
        if (plan.ok()) return false;
        plan.errors().forEach(e -> err.println(e));
        err.flush();
        return true;
    }

    /** A stream cannot carry tenant schemas consolidated yet: the Connect deployment and the sink's settings are refused. */
    boolean streamRefused(PrintWriter err) {
        if (plan.consolidation() == null) return false;
        err.println(io.citusmigrate.plan.Consolidation.NOT_STREAMED);
        err.flush();
        return true;
    }
}

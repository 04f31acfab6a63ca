package io.citusmigrate.sink;

import io.citusmigrate.catalog.CatalogReader;
import io.citusmigrate.ddl.SchemaCreator;
import io.citusmigrate.ddl.SchemaScript;
import io.citusmigrate.ddl.Statement.Step;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.Planner;
import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;

/** Test helper: plans a source database into a schema of its own on the target and creates it there. */
final class TargetSchema {
    private TargetSchema() {}

    /** With `no foreign keys`, as a live migration creates them only at cutover. */
    static Plan create(EmbeddedPg pg, String db, CitusTarget citus, String schema, String rules) throws SQLException {
        LoadCommand cmd = LoadFileParser.parse("t.load", "load database from " + pg.url(db) + " into " + citus.url()
                + " with no foreign keys alter schema 'public' rename to '" + schema + "' " + rules, System::getenv);
        Plan plan;
        try (Connection c = pg.connect(db)) {
            plan = Planner.plan(cmd, new CatalogReader(c).read());
        }
        try (Connection t = citus.connect()) {
            new SchemaCreator(t, x -> { }).run(SchemaScript.of(plan, cmd.options()), EnumSet.allOf(Step.class), false);
        }
        return plan;
    }

    /** The sink settings for that target and plan. */
    static Map<String, String> sinkProps(CitusTarget citus, Plan plan, String sinkName) {
        Map<String, String> props = new HashMap<>();
        props.put("connection.url", citus.jdbcUrl());
        props.put("connection.user", citus.user());
        if (citus.password() != null) props.put("connection.password", citus.password());
        props.put("citus.tables", io.citusmigrate.plan.StreamRules.json(plan));
        props.put("sink.name", sinkName);
        return props;
    }
}

package io.citusmigrate.stream;

import io.citusmigrate.db.Databases;
import io.citusmigrate.load.ConnectionUrl;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;
import io.citusmigrate.sink.CitusSinkConfig;
import io.citusmigrate.sink.SchemaChangeCarrier;
import io.citusmigrate.sink.TableRule;
import org.apache.kafka.connect.errors.ConnectException;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.sql.Statement;
import java.util.List;

/**
 * The source's schema changes carried by the Citus sink on a Connect worker, where no
 * citus-migrate process runs: each change as the embedded stream carries it ({@link SchemaChanges}),
 * planned by the command file that {@code deploy} hands to the sink (without its passwords; the
 * sink's own are used) and the source as it is now. Carried: column changes, indexes, CHECK
 * constraints, keys and sequences (as long as the other tables' rows are written as before; the
 * table's own primary key may change), row-level security and access, a table created, renamed or
 * dropped. What the sink writes otherwise since is kept on the target
 * ({@link io.citusmigrate.sink.SinkPositions#tableRules}), where every task finds it. A change
 * that would make the sink write another table's rows otherwise stops the task before any of it
 * is applied, naming it.
 */
public final class ConnectSchemaChanges implements SchemaChangeCarrier {
    private LoadCommand cmd;
    private String file;
    /** The sink's rules by source table (schema.table), as the deploy gave them. */
    private final Map<String, TableRule> configured = new java.util.LinkedHashMap<>();
    /** The same with what the changes carried since made of them (read from the target at each change: any task may have carried one). */
    private final Map<String, TableRule> rules = new java.util.LinkedHashMap<>();
    private String sink;

    @Override
    public void configure(Map<String, String> s) {
        String text = s.get(CitusSinkConfig.SCHEMA_CHANGES_COMMAND);
        file = s.getOrDefault(CitusSinkConfig.SCHEMA_CHANGES_FILE, "the command file");
        if (text == null) throw new ConnectException(CitusSinkConfig.SCHEMA_CHANGES_CARRIER + " needs " + CitusSinkConfig.SCHEMA_CHANGES_COMMAND);
        LoadCommand parsed = LoadFileParser.parse(file, text, System::getenv);
        cmd = parsed.withSource(withPassword(parsed.source(), s.get(CitusSinkConfig.SOURCE_PASSWORD)))
                .withTarget(withPassword(parsed.target(), s.get(CitusSinkConfig.CONNECTION_PASSWORD)));
        configured.putAll(TableRule.parse(s.get(CitusSinkConfig.TABLES)));
        sink = s.getOrDefault(CitusSinkConfig.SINK_NAME, "citus-sink");
    }

    /** The sink's rules now: the deploy's, with the tables created, dropped or left out since. */
    private void readRules(Connection target) throws SQLException {
        rules.clear();
        rules.putAll(configured);
        io.citusmigrate.sink.SinkPositions.tableRules(target, sink).forEach((table, json) -> {
            if (json == null || json.equals(io.citusmigrate.sink.SinkPositions.RENAMED_AWAY)) rules.remove(table);
            else rules.put(table, TableRule.parseOne(json));
        });
    }

    private static ConnectionUrl withPassword(ConnectionUrl u, String password) {
        return new ConnectionUrl(u.host(), u.port(), u.database(), u.user(), password, u.params());
    }

    @Override
    public Carried carry(String content, long sourceLsn) throws SQLException {
        SchemaChanges.Change ch = SchemaChanges.Change.of(content);
        try (Connection target = Databases.target(cmd)) {
            readRules(target);
            Plan plan = AccessChanges.planNow(target, cmd);
            if (plan.consolidation() != null) throw refused(ch, "a Connect deployment does not carry the schema changes of consolidated tenants");
            boolean table = "table".equals(ch.type());
            TablePlan t = SchemaChanges.table(plan, ch);
            if (ch.tag().equals("CREATE TABLE") && table) return created(ch, t, plan, content, target);
            if (ch.tag().equals("DROP TABLE") && table) return dropped(ch, target);
            List<String> at = t == null ? null : tableAtChange(ch);
            String atChange = at == null ? null : at.get(0) + "." + at.get(1);
            String was = renamedFrom(content);
            // (a rename undone since, further on in the stream, leaves the table under the name it had: nothing to carry here)
            String current = t == null ? null : t.source().name().schema() + "." + t.source().name().name();
            if (t != null && table && was != null && !was.equals(atChange) && !was.equals(current) && !rules.containsKey(atChange)) {
                Carried done = renamed(ch, t, plan, content, target);
                if (sourceLsn >= 0) io.citusmigrate.sink.SinkPositions.altered(target, sink, t.source().oid(), sourceLsn);
                return done;
            }
            // Each change is carried as a comparison of the table as it left it with the target's: one read after a later one
            // (from the topic of a name the table had, a rename undone say) would take the later one back.
            boolean alters = t != null && ch.tag().equals("ALTER TABLE") && sourceLsn >= 0;
            if (alters && io.citusmigrate.sink.SinkPositions.alteredAt(target, sink, t.source().oid()) > sourceLsn) {
                return new Carried("schema change passed over: " + ch.said() + " came before a change of the table carried"
                        + " already (read later, from the topic of the name the table had then)", false);
            }
            if (atChange != null && rules.containsKey(atChange) && !atChange.equals(current)) {
                // renamed since (its rename comes later in the stream): carried under its name at this change, where the target has it
                TableRule r = rules.get(atChange);
                t = t.withNames(new io.citusmigrate.catalog.QualifiedName(at.get(0), at.get(1)),
                        new io.citusmigrate.catalog.QualifiedName(r.targetSchema(), r.targetTable()));
                plan = plan.withTable(t.source().oid(), t);
            }
            if (t != null && !rules.containsKey(t.source().name().schema() + "." + t.source().name().name())) {
                // renamed by a change another task has not carried yet (the task waits for it), or taken by the rules only since
                throw new NotYet(refused(ch, "the sink has no rule for " + (atChange == null ? "the table" : atChange) + ": a table the command"
                        + " file's rules take only under a name it was given since is carried by `citus-migrate migrate`").getMessage());
            }
            // The sink's rules against the plan made now: a key or a sequence the plan takes is carried as long as the other
            // tables' rows are written as before. The table's own primary key may change (only the task that meets this change
            // reads its topic, in order: its rows after the change are written by the new key).
            Map<String, TableRule> now = TableRule.parse(io.citusmigrate.plan.StreamRules.json(plan));
            String own = t == null ? null : t.source().name().schema() + "." + t.source().name().name();
            TableRule rekeyed = own != null && rules.containsKey(own) && now.containsKey(own) && !now.get(own).key().equals(rules.get(own).key())
                    && asWritten(withKey(rules.get(own), now.get(own).key())).equals(asWritten(now.get(own))) ? now.get(own) : null;
            boolean ownOtherwise = own != null && rules.containsKey(own) && now.containsKey(own) && !asWritten(now.get(own)).equals(asWritten(rules.get(own)));
            if (ownOtherwise || SchemaChanges.replans(content, plan)) {
                String ownKeyChange = rekeyed == null ? null : own;
                List<String> otherwise = writtenOtherwise(now).stream().filter(w -> !w.startsWith(ownKeyChange + ": ")).toList();
                if (!otherwise.isEmpty()) {
                    throw refused(ch, "with it the sink would write tables otherwise, which a Connect deployment does not carry: "
                            + String.join("; ", otherwise));
                }
            }
            String said = SchemaChanges.carry(content, plan, target, cmd);
            if (alters) io.citusmigrate.sink.SinkPositions.altered(target, sink, t.source().oid(), sourceLsn);
            if (rekeyed == null) return new Carried(said, false);
            io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, rekeyed.source(), rekeyed.toJson());
            return new Carried(said, true);
        } catch (SchemaChanges.NotCarried e) {
            throw new ConnectException(onConnect(e.getMessage()));
        } catch (io.citusmigrate.UserError e) {
            // the command file no longer plans on the source as it is now (a table it names renamed, say)
            throw refused(ch, e.getMessage());
        }
    }

    /**
     * A table dropped on the source: dropped on the target, in its place after its last rows (its
     * topic). Refused when other tables take their tenant key through it: the plan would take them
     * otherwise.
     */
    private Carried dropped(SchemaChanges.Change ch, Connection target) throws SQLException {
        TableRule rule = rules.get(io.citusmigrate.sink.SchemaChangeMessage.unquoted(ch.identity()));
        if (rule == null) return new Carried("", false);
        if (rule.hasChildren()) {
            List<String> children = rules.values().stream().filter(r -> r.parent() != null && rule.targetSchema().equals(r.parent().parentSchema())
                    && rule.targetTable().equals(r.parent().parentTable())).map(TableRule::source).toList();
            throw refused(ch, "other tables take their tenant key through it" + (children.isEmpty() ? "" : " (" + String.join(", ", children) + ")"));
        }
        try (Statement s = target.createStatement()) {
            // what depends on it on the target (a view, a foreign key) went with it on the source too
            s.execute("DROP TABLE IF EXISTS " + rule.target() + " CASCADE");
        }
        io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, rule.source(), null);
        return new Carried("table dropped on the target as on the source: " + rule.target(), true);
    }

    /**
     * The sink's tables whose rows the plan made now writes otherwise (another target, tenant key,
     * primary key or path to the tenant), one line each; tables it no longer has (dropped or
     * renamed since, further on in the stream) are not compared.
     */
    private List<String> writtenOtherwise(Map<String, TableRule> now) {
        List<String> out = new java.util.ArrayList<>();
        rules.forEach((table, was) -> {
            TableRule n = now.get(table);
            if (n != null && !asWritten(n).equals(asWritten(was))) out.add(table + ": " + described(n) + " instead of " + described(was));
        });
        return out;
    }

    private static TableRule withKey(TableRule r, List<String> key) {
        return new TableRule(r.source(), r.targetSchema(), r.targetTable(), r.distributionColumn(), r.tenantAdded(), key, r.parent(),
                r.sourcePath(), r.hasChildren(), r.tenantValue());
    }

    /** What decides how a table's rows are written (whether others lead through it does not). */
    private static TableRule asWritten(TableRule r) {
        return new TableRule(r.source(), r.targetSchema(), r.targetTable(), r.distributionColumn(), r.tenantAdded(), r.key(), r.parent(),
                r.sourcePath(), false, r.tenantValue());
    }

    private static String described(TableRule r) {
        return r.target() + (r.distributionColumn() == null ? "" : " by " + r.distributionColumn()) + ", key (" + String.join(", ", r.key()) + ")"
                + (r.parent() == null ? "" : ", tenant key through " + r.parent().parentSchema() + "." + r.parent().parentTable());
    }

    private ConnectException refused(SchemaChanges.Change ch, String why) {
        return new ConnectException(onConnect(SchemaChanges.notCarried(ch, why, file).getMessage()));
    }

    /**
     * A table created on the source while streaming: planned by the same rules as at the start
     * (the source's catalog now), created, distributed and keyed on the target, and the sink's rule
     * for it kept on the target, where the task that meets its rows finds it; its rows come after
     * this change in its topic (the event trigger publishes it in the transaction that creates it,
     * Debezium's table list takes its schema). One the command file's rules leave out is kept as
     * not written. Refused, before anything is made: one through which rows of a table with no
     * child tables yet would take their tenant key (the other tasks would not carry that table's
     * tenant moves to it).
     */
    private Carried created(SchemaChanges.Change ch, TablePlan t, Plan plan, String content, Connection target) throws SQLException {
        if (t == null) {
            io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, io.citusmigrate.sink.SchemaChangeMessage.unquoted(ch.identity()), null);
            return new Carried("schema change passed over: " + ch.identity() + " is not migrated (the command file's rules leave it out)", true);
        }
        Map<String, TableRule> now = TableRule.parse(io.citusmigrate.plan.StreamRules.json(plan));
        List<String> parents = rules.values().stream().filter(r -> !r.hasChildren() && now.containsKey(r.source()) && now.get(r.source()).hasChildren())
                .map(TableRule::source).toList();
        if (!parents.isEmpty()) {
            throw refused(ch, "its rows take their tenant key through " + String.join(", ", parents) + ", which had no child tables: the sink's"
                    + " other tasks would not carry its tenant moves to them");
        }
        SchemaChanges.Replanned r = SchemaChanges.replan(content, plan.withoutTable(t.source().oid()), null, target, cmd);
        // under its name at this change (renamed since, its rename comes later in its topic)
        TablePlan made = r.plan().tables().stream().filter(x -> x.source().oid() == t.source().oid()).findFirst().orElse(t);
        String name = made.source().name().schema() + "." + made.source().name().name();
        TableRule rule = TableRule.parse(io.citusmigrate.plan.StreamRules.json(r.plan())).get(name);
        io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, name, rule == null ? null : rule.toJson());
        return new Carried(r.said(), true);
    }

    /**
     * A table renamed on the source: the change comes in the old name's topic, after the table's
     * last rows under that name (see {@link io.citusmigrate.sink.SchemaChangeMessage#tableOf}); the
     * target's table is renamed as `migrate` renames it, and the sink's rule goes to the new name,
     * whose topic's rows wait for it ({@code CitusSinkTask}). Refused: a table other tables take
     * their tenant key through (the other tasks look their rows' tenant up by the old name), or
     * one whose old name the change does not say.
     */
    private Carried renamed(SchemaChanges.Change ch, TablePlan t, Plan plan, String content, Connection target) throws SQLException {
        String was = renamedFrom(content);
        TableRule old = was == null ? null : rules.get(was);
        if (old == null) {
            throw refused(ch, "the sink had no rule for the table under its earlier name" + (was == null ? "" : " (" + was + ")")
                    + ": a table the command file's rules take only under its new name is carried by `citus-migrate migrate`");
        }
        if (old.hasChildren() || rules.values().stream().anyMatch(r -> r.parent() != null && old.targetSchema().equals(r.parent().parentSchema())
                && old.targetTable().equals(r.parent().parentTable()))) {
            throw refused(ch, "other tables take their tenant key through it, and the sink's other tasks look it up by its old name");
        }
        String[] name = was.split("\\.", 2);
        TablePlan asStreamed = t.withNames(new io.citusmigrate.catalog.QualifiedName(name[0], name[1]),
                new io.citusmigrate.catalog.QualifiedName(old.targetSchema(), old.targetTable()));
        SchemaChanges.Replanned r = SchemaChanges.replan(content, plan.withTable(t.source().oid(), asStreamed), null, target, cmd);
        String now = t.source().name().schema() + "." + t.source().name().name();
        TableRule rule = TableRule.parse(io.citusmigrate.plan.StreamRules.json(r.plan())).get(now);
        if (rule == null) throw refused(ch, "the plan made now does not take it under its new name");
        io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, was, io.citusmigrate.sink.SinkPositions.RENAMED_AWAY);
        io.citusmigrate.sink.SinkPositions.saveTableRule(target, sink, now, rule.toJson());
        return new Carried(r.said(), true);
    }

    /** The schema and name of the table a change is about, as the change names it (a column's: its table's); null when it names none. */
    private static List<String> tableAtChange(SchemaChanges.Change ch) {
        List<String> parts = io.citusmigrate.sink.SchemaChangeMessage.parts(ch.identity());
        if ("table column".equals(ch.type()) && parts.size() == 3) parts = parts.subList(0, 2);
        return ("table".equals(ch.type()) || "table column".equals(ch.type())) && parts.size() == 2 ? parts : null;
    }

    /** A renamed table's name before the change, as Debezium names tables (the trigger's {@code was}), or null. */
    private static String renamedFrom(String content) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(content);
            return n.hasNonNull("was") ? io.citusmigrate.sink.SchemaChangeMessage.unquoted(n.get("was").asText()) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * The embedded stream's words for a change it does not carry, as they hold on Connect: there each table's changes go
     * in order in its own topic, so the other tables' may have gone on until the task stopped.
     */
    private String onConnect(String message) {
        return message.replace(" Nothing after it was applied to the target.", " The sink's task stopped on it; nothing of the table after it"
                + " was written.") + " On Connect: once it is undone on the source, restart the sink's failed task; or carry it with"
                + " `citus-migrate migrate " + file + "` instead of a Connect deployment.";
    }
}

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
 * constraints, keys and sequences (as long as every table's rows are written as before: the
 * sink's rules are the deploy's), row-level security and access, and a table dropped. A table
 * created or renamed, or a change that would write rows otherwise (a primary key changed), stops
 * the task before any of it is applied, naming it: Debezium's table list on the worker names the
 * tables by the names they had at the deploy.
 */
public final class ConnectSchemaChanges implements SchemaChangeCarrier {
    private LoadCommand cmd;
    private String file;
    /** The sink's rules by source table (schema.table, as at the deploy). */
    private final Map<String, TableRule> rules = new java.util.LinkedHashMap<>();

    @Override
    public void configure(Map<String, String> s) {
        String text = s.get(CitusSinkConfig.SCHEMA_CHANGES_COMMAND);
        file = s.getOrDefault(CitusSinkConfig.SCHEMA_CHANGES_FILE, "the command file");
        if (text == null) throw new ConnectException(CitusSinkConfig.SCHEMA_CHANGES_CARRIER + " needs " + CitusSinkConfig.SCHEMA_CHANGES_COMMAND);
        LoadCommand parsed = LoadFileParser.parse(file, text, System::getenv);
        cmd = parsed.withSource(withPassword(parsed.source(), s.get(CitusSinkConfig.SOURCE_PASSWORD)))
                .withTarget(withPassword(parsed.target(), s.get(CitusSinkConfig.CONNECTION_PASSWORD)));
        rules.putAll(TableRule.parse(s.get(CitusSinkConfig.TABLES)));
    }

    private static ConnectionUrl withPassword(ConnectionUrl u, String password) {
        return new ConnectionUrl(u.host(), u.port(), u.database(), u.user(), password, u.params());
    }

    @Override
    public Carried carry(String content) throws SQLException {
        try (Connection target = Databases.target(cmd)) {
            Plan plan = AccessChanges.planNow(target, cmd);
            SchemaChanges.Change ch = SchemaChanges.Change.of(content);
            if (plan.consolidation() != null) throw refused(ch, "a Connect deployment does not carry the schema changes of consolidated tenants");
            boolean table = "table".equals(ch.type());
            TablePlan t = SchemaChanges.table(plan, ch);
            if (ch.tag().equals("CREATE TABLE") && table) {
                if (t != null) {
                    throw refused(ch, "a table created while streaming is carried by `citus-migrate migrate`; through Connect its rows are not"
                            + " captured (Debezium's table list on the worker names the tables of the deploy)");
                }
                return passedOver(ch);
            }
            if (ch.tag().equals("DROP TABLE") && table) return dropped(ch, target);
            if (t != null && !rules.containsKey(t.source().name().schema() + "." + t.source().name().name())) {
                throw refused(ch, "the table has another name than at the deploy (renamed since), and Debezium's table list on the worker"
                        + " names it by the old one");
            }
            if (SchemaChanges.replans(content, plan)) {
                // a key or a sequence the plan takes: carried as long as every table's rows are written as before
                List<String> otherwise = writtenOtherwise(plan);
                if (!otherwise.isEmpty()) {
                    throw refused(ch, "with it the sink would write tables otherwise, which a Connect deployment does not carry: "
                            + String.join("; ", otherwise));
                }
            }
            return new Carried(SchemaChanges.carry(content, plan, target, cmd), null);
        } catch (SchemaChanges.NotCarried e) {
            throw new ConnectException(onConnect(e.getMessage()));
        } catch (io.citusmigrate.UserError e) {
            throw new ConnectException(e.getMessage());
        }
    }

    /**
     * A table dropped on the source: dropped on the target, in its place after its last rows (its
     * topic). Refused when other tables take their tenant key through it: the plan would take them
     * otherwise.
     */
    private Carried dropped(SchemaChanges.Change ch, Connection target) throws SQLException {
        TableRule rule = rules.get(io.citusmigrate.sink.SchemaChangeMessage.unquoted(ch.identity()));
        if (rule == null) return passedOver(ch);
        if (rule.hasChildren()) {
            List<String> children = rules.values().stream().filter(r -> r.parent() != null && rule.targetSchema().equals(r.parent().parentSchema())
                    && rule.targetTable().equals(r.parent().parentTable())).map(TableRule::source).toList();
            throw refused(ch, "other tables take their tenant key through it" + (children.isEmpty() ? "" : " (" + String.join(", ", children) + ")"));
        }
        try (Statement s = target.createStatement()) {
            // what depends on it on the target (a view, a foreign key) went with it on the source too
            s.execute("DROP TABLE IF EXISTS " + rule.target() + " CASCADE");
        }
        rules.remove(rule.source());
        return new Carried("table dropped on the target as on the source: " + rule.target(), TableRule.toJson(List.copyOf(rules.values())));
    }

    /**
     * The sink's tables whose rows the plan made now writes otherwise (another target, tenant key,
     * primary key or path to the tenant), one line each; tables it no longer has (dropped or
     * renamed since, further on in the stream) are not compared.
     */
    private List<String> writtenOtherwise(Plan plan) {
        Map<String, TableRule> now = TableRule.parse(io.citusmigrate.plan.StreamRules.json(plan));
        List<String> out = new java.util.ArrayList<>();
        rules.forEach((table, was) -> {
            TableRule n = now.get(table);
            if (n != null && !asWritten(n).equals(asWritten(was))) out.add(table + ": " + described(n) + " instead of " + described(was));
        });
        return out;
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

    /** A table the command file's rules leave out, created or dropped: nothing to carry, as in the embedded stream. */
    private static Carried passedOver(SchemaChanges.Change ch) {
        return new Carried("schema change passed over: " + ch.identity() + " is not migrated (the command file's rules leave it out)", null);
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

package io.citusmigrate.plan;

import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Table;
import io.citusmigrate.catalog.TypeRef;
import io.citusmigrate.sql.Sql;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadCommand.AlterTableRule;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Target names: ALTER SCHEMA ... RENAME TO and ALTER TABLE NAMES MATCHING ... rules, and the
 * rewriting of qualified names inside expressions (defaults, checks, view definitions).
 */
final class Naming {
    private final Map<String, String> schemaRenames = new HashMap<>();
    private final List<AlterTableRule> alters;
    private final Map<QualifiedName, QualifiedName> tableTargets = new LinkedHashMap<>();
    private final Set<QualifiedName> userTypes;

    /** {@code moreRenames}: schemas renamed by the plan itself (the first tenant schema into a consolidation's). */
    Naming(LoadCommand cmd, List<Table> tables, Set<QualifiedName> userTypes, Map<String, String> moreRenames) {
        cmd.schemaRenames().forEach(r -> schemaRenames.put(r.from(), r.to()));
        schemaRenames.putAll(moreRenames);
        this.alters = cmd.alterTables();
        this.userTypes = userTypes;
        for (Table t : tables) {
            String schema = schema(t.name().schema());
            String name = t.name().name();
            for (AlterTableRule r : alters) {
                if (!r.matches(t.name().schema(), t.name().name())) continue;
                if (r.action() == AlterTableRule.Action.SET_SCHEMA) schema = r.value();
                if (r.action() == AlterTableRule.Action.RENAME) name = r.value();
            }
            tableTargets.put(t.name(), QualifiedName.of(schema, name));
        }
    }

    String schema(String sourceSchema) {
        return schemaRenames.getOrDefault(sourceSchema, sourceSchema);
    }

    QualifiedName table(QualifiedName source) {
        return tableTargets.getOrDefault(source, QualifiedName.of(schema(source.schema()), source.name()));
    }

    QualifiedName object(QualifiedName source) {
        return QualifiedName.of(schema(source.schema()), source.name());
    }

    Map<String, String> storageParams(Table t) {
        Map<String, String> out = new LinkedHashMap<>();
        for (AlterTableRule r : alters) {
            if (r.action() == AlterTableRule.Action.SET_PARAMS && r.matches(t.name().schema(), t.name().name())) out.putAll(r.storageParams());
        }
        return out;
    }

    String tablespace(Table t) {
        String ts = null;
        for (AlterTableRule r : alters) {
            if (r.action() == AlterTableRule.Action.SET_TABLESPACE && r.matches(t.name().schema(), t.name().name())) ts = r.value();
        }
        return ts;
    }

    /** A column type with its user-defined type moved to its target schema. */
    TypeRef type(TypeRef t) {
        if (t.userType() == null || !userTypes.contains(t.userType())) return t;
        QualifiedName target = object(t.userType());
        if (target.equals(t.userType())) return t;
        return new TypeRef(target.sql() + (t.array() ? "[]" : ""), target, t.array(), t.typtype());
    }

    /** Rewrites schema-qualified names in an expression after schema or table renames. */
    String expression(String expr) {
        if (expr == null) return null;
        String out = expr;
        for (Map.Entry<QualifiedName, QualifiedName> e : tableTargets.entrySet()) {
            if (!e.getKey().equals(e.getValue())) out = replaceQualified(out, e.getKey().sql(), e.getValue().sql());
        }
        for (Map.Entry<String, String> e : schemaRenames.entrySet()) {
            out = replaceQualified(out, Sql.ident(e.getKey()) + ".", Sql.ident(e.getValue()) + ".");
        }
        return out;
    }

    private static String replaceQualified(String text, String from, String to) {
        Pattern p = Pattern.compile("(?<![A-Za-z0-9_$\"])" + Pattern.quote(from));
        Matcher m = p.matcher(text);
        return m.replaceAll(Matcher.quoteReplacement(to));
    }

    boolean renames() {
        return !schemaRenames.isEmpty() || tableTargets.entrySet().stream().anyMatch(e -> !e.getKey().equals(e.getValue()));
    }
}

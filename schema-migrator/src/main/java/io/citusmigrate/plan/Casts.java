package io.citusmigrate.plan;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.Table;
import io.citusmigrate.catalog.TypeRef;
import io.citusmigrate.load.CastRule;
import io.citusmigrate.load.LoadCommand.Warning;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Applies CAST rules to columns: user rules in order, the first match wins. */
final class Casts {
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("int", "integer"), Map.entry("int4", "integer"), Map.entry("int8", "bigint"),
            Map.entry("int2", "smallint"), Map.entry("float8", "double precision"), Map.entry("float4", "real"),
            Map.entry("float", "double precision"), Map.entry("bool", "boolean"), Map.entry("varchar", "character varying"),
            Map.entry("char", "character"), Map.entry("bpchar", "character"), Map.entry("decimal", "numeric"),
            Map.entry("timestamp", "timestamp without time zone"), Map.entry("timestamptz", "timestamp with time zone"),
            Map.entry("time", "time without time zone"), Map.entry("timetz", "time with time zone"),
            Map.entry("varbit", "bit varying"), Map.entry("serial", "integer"), Map.entry("bigserial", "bigint"),
            Map.entry("smallserial", "smallint"), Map.entry("serial4", "integer"), Map.entry("serial8", "bigint"));

    private final List<CastRule> rules;
    private final Set<CastRule> used = new HashSet<>();

    Casts(List<CastRule> rules) {
        this.rules = rules;
    }

    record Result(Column column, String note) {}

    Result apply(Table table, Column c) {
        for (CastRule r : rules) {
            if (!matches(r, table, c)) continue;
            used.add(r);
            String target = r.targetType();
            String typmod = typmod(c.type().sql());
            if (r.flags().contains(CastRule.Flag.KEEP_TYPEMOD) && typmod != null && typmod(target) == null) target = target + typmod;
            if (r.flags().contains(CastRule.Flag.DROP_TYPEMOD)) target = target.replaceAll("\\(.*?\\)", "");
            Column out = c.withType(TypeRef.builtin(target));
            if (r.flags().contains(CastRule.Flag.DROP_DEFAULT)) out = out.withDefault(null);
            if (r.flags().contains(CastRule.Flag.DROP_NOT_NULL)) out = out.withNotNull(false);
            if (r.flags().contains(CastRule.Flag.SET_NOT_NULL)) out = out.withNotNull(true);
            return new Result(out, "column " + c.name() + ": " + c.type().sql() + " cast to " + target + " (cast rule at " + r.at() + ")");
        }
        return new Result(c, null);
    }

    /** Rules that matched no column: most likely a typo, so say so. */
    List<Warning> unused() {
        List<Warning> out = new ArrayList<>();
        for (CastRule r : rules) {
            if (!used.contains(r)) {
                out.add(new Warning(r.at(), r.isColumnRule()
                        ? "cast rule names column " + r.table() + "." + r.column() + ", which is not in the source"
                        : "cast rule for type " + r.sourceType() + " matches no column"));
            }
        }
        return out;
    }

    private static boolean matches(CastRule r, Table t, Column c) {
        if (r.isColumnRule()) {
            if (r.table().schema() != null && !r.table().schema().equals(t.name().schema())) return false;
            return r.table().name().equals(t.name().name()) && r.column().equals(c.name());
        }
        String want = normalize(r.sourceType());
        String have = typmod(r.sourceType()) != null ? normalizeFull(c.type().sql()) : normalize(c.type().sql());
        if (typmod(r.sourceType()) != null) want = normalizeFull(r.sourceType());
        if (!want.equals(have)) return false;
        if (r.autoIncrement() && !c.isAutoIncrement()) return false;
        if (r.whenDefault() != null && !r.whenDefault().equals(defaultValue(c.defaultExpr()))) return false;
        return true;
    }

    static String normalize(String type) {
        String base = type.replaceAll("\\(.*?\\)", "").trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        return ALIASES.getOrDefault(base, base);
    }

    private static String normalizeFull(String type) {
        String mod = typmod(type);
        return normalize(type) + (mod == null ? "" : mod.replace(" ", ""));
    }

    private static String typmod(String type) {
        int open = type.indexOf('(');
        int close = type.indexOf(')', open + 1);
        return open < 0 || close < 0 ? null : type.substring(open, close + 1);
    }

    /** 'abc'::text -> abc; 0 -> 0. */
    private static String defaultValue(String expr) {
        if (expr == null) return null;
        String e = expr.replaceAll("::[a-z ]+(\\[\\])?$", "");
        if (e.startsWith("'") && e.endsWith("'") && e.length() >= 2) e = e.substring(1, e.length() - 1).replace("''", "'");
        return e;
    }
}

package io.citusmigrate.sql;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Quoting the way PostgreSQL's quote_ident and quote_literal do. */
public final class Sql {
    private Sql() {}

    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_$]*");

    /** Keywords that quote_ident quotes: every category but unreserved (PostgreSQL 17). */
    static final Set<String> KEYWORDS = Set.of(
            // reserved
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
            "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
            "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
            "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
            "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
            "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
            "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
            "unique", "user", "using", "variadic", "when", "where", "window", "with",
            // type_func_name
            "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
            "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
            "right", "similar", "tablesample", "verbose",
            // col_name
            "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists",
            "extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval", "json", "json_array",
            "json_arrayagg", "json_exists", "json_object", "json_objectagg", "json_query", "json_scalar",
            "json_serialize", "json_table", "json_value", "least", "merge_action", "national", "nchar", "none",
            "normalize", "nullif", "numeric", "out", "overlay", "position", "precision", "real", "row", "setof",
            "smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes",
            "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
            "xmlserialize", "xmltable");

    /** An identifier, quoted only where PostgreSQL would need it. */
    public static String ident(String name) {
        if (PLAIN.matcher(name).matches() && !KEYWORDS.contains(name)) return name;
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    public static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }

    private static final Pattern CHAR_OR_BIT_LENGTH = Pattern.compile(
            "^(character varying|varchar|character|char|bpchar|bit varying|varbit|bit)\\s*\\(\\s*\\d+\\s*\\)", Pattern.CASE_INSENSITIVE);

    /**
     * The type to cast a value to on its way into a column of {@code type} (format_type's
     * spelling). An explicit cast to a character or bit type of some length truncates a longer
     * value silently, where storing it into the column rejects it: the length is left to the
     * column. ({@code character} and {@code bit} without a length mean a length of 1, hence
     * bpchar and bit varying.)
     */
    public static String castType(String type) {
        java.util.regex.Matcher m = CHAR_OR_BIT_LENGTH.matcher(type);
        if (!m.find()) return type;
        String base = switch (m.group(1).toLowerCase(java.util.Locale.ROOT)) {
            case "character", "char", "bpchar" -> "bpchar";
            case "bit", "bit varying", "varbit" -> "bit varying";
            default -> "character varying";
        };
        return base + type.substring(m.end());
    }

    /** A string literal (standard_conforming_strings on). */
    public static String literal(String s) {
        if (s.indexOf('\\') >= 0) return "E'" + s.replace("\\", "\\\\").replace("'", "''") + "'";
        return "'" + s.replace("'", "''") + "'";
    }
}

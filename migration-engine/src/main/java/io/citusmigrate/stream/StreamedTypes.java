package io.citusmigrate.stream;

import io.citusmigrate.catalog.Catalog;
import io.citusmigrate.catalog.Column;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.TypeRef;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.debezium.FidelityConverter;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How each column's values travel through Debezium to the sink, decided from the catalog before
 * anything is written: the user-defined types the converter must send as PostgreSQL's text, and
 * the columns no mechanism carries exactly, which stop a live migration naming them.
 */
public final class StreamedTypes {
    /** Base types the converter sends as text by their own name; a domain over one must be named to it too. */
    private static final List<String> TEXT_BY_NAME = List.of("bit varying", "bit", "varbit");

    private StreamedTypes() {}

    /**
     * The user-defined types of the plan's columns that Debezium would send as bytes or structs:
     * composite types, extension types it does not know (hstore it carries exactly), and domains
     * over types the converter sends as text.
     */
    public static SortedSet<String> textTypes(Plan plan, Catalog catalog) {
        Map<QualifiedName, UserType> types = types(catalog);
        SortedSet<String> out = new TreeSet<>();
        for (Column c : columns(plan)) {
            TypeRef type = c.type();
            if (type.array() || type.userType() == null) continue;
            String name = type.userType().name();
            if (type.typtype() == 'c' || type.typtype() == 'b' && !name.equals("hstore")) out.add(name);
            UserType u = types.get(type.userType());
            if (type.typtype() == 'd' && u != null && u.baseType() != null) {
                String base = baseName(u.baseType());
                if (FidelityConverter.AS_TEXT.contains(base) || TEXT_BY_NAME.contains(base)) out.add(name);
                UserType under = byName(types, base);
                if (under != null && under.kind() == UserType.Kind.COMPOSITE) out.add(name);
            }
        }
        return out;
    }

    /**
     * Columns whose values no mechanism carries exactly, each as "schema.table.column (type):
     * why"; empty when every column streams exactly. {@code debeziumSnapshot}: Debezium reads
     * the snapshot too (snapshot method 'debezium', a Connect deployment).
     */
    public static List<String> uncarried(Plan plan, Catalog catalog, boolean debeziumSnapshot) {
        Map<QualifiedName, UserType> types = types(catalog);
        List<String> out = new ArrayList<>();
        for (TablePlan t : ConnectorConfigs.streamed(plan)) {
            for (Column c : t.source().columns()) {
                TypeRef type = c.type();
                if (type.array() || type.typtype() != 'd') continue;
                UserType u = types.get(type.userType());
                if (u == null || u.baseType() == null) continue;
                String base = baseName(u.baseType());
                UserType under = byName(types, base);
                String where = t.source().name() + "." + c.name() + " (" + type.sql() + ", a domain over " + u.baseType() + ")";
                if (under != null && under.kind() == UserType.Kind.DOMAIN) {
                    out.add(where + ": a domain over a domain; Debezium converts it as the innermost base type, which the sink"
                            + " cannot tell");
                } else if (base.equals("date") && debeziumSnapshot) {
                    out.add(where + ": Debezium's snapshot turns a BC date of a domain into AD (the converter corrects plain date"
                            + " columns only); use snapshot method 'copy'");
                }
            }
        }
        return out;
    }

    /**
     * Says which columns cannot be streamed exactly and returns true when there are any:
     * the caller stops before changing anything ({@code nothingDone} says what was not done).
     */
    public static boolean refuse(Plan plan, Catalog catalog, boolean debeziumSnapshot, java.io.PrintWriter err, String nothingDone) {
        List<String> uncarried = uncarried(plan, catalog, debeziumSnapshot);
        if (uncarried.isEmpty()) return false;
        err.println("These columns cannot be streamed exactly through Debezium; " + nothingDone + ":");
        uncarried.forEach(u -> err.println("  " + u));
        err.flush();
        return true;
    }

    private static List<Column> columns(Plan plan) {
        return ConnectorConfigs.streamed(plan).stream().flatMap(t -> t.columns().stream()).toList();
    }

    private static Map<QualifiedName, UserType> types(Catalog catalog) {
        return catalog.types().stream().collect(Collectors.toMap(UserType::name, Function.identity(), (a, b) -> a));
    }

    private static UserType byName(Map<QualifiedName, UserType> types, String name) {
        return types.values().stream().filter(u -> u.name().name().equalsIgnoreCase(name)).findFirst().orElse(null);
    }

    /** A type's name without modifier or schema, lower case: {@code numeric(10,2)} is numeric. */
    private static String baseName(String sql) {
        String s = sql.replaceAll("\\(.*?\\)", "").strip();
        int dot = s.lastIndexOf('.');
        if (dot >= 0) s = s.substring(dot + 1);
        return s.replace("\"", "").toLowerCase(Locale.ROOT);
    }
}

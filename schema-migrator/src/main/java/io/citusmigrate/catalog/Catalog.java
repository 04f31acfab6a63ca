package io.citusmigrate.catalog;

import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of the source schema; with a consolidation's mapping, the tenant keys it
 * gives by tenant name ({@link TenantMapping}; empty without one).
 */
public record Catalog(String serverVersion, List<Table> tables, List<UserType> types, List<Sequence> sequences,
                      List<View> views, List<Extension> extensions, List<Routine> routines, Access access, List<Statistic> statistics,
                      List<OperatorOrCast> operatorsAndCasts, java.util.Map<String, Long> tenantMap) {

    public Catalog {
        tenantMap = java.util.Map.copyOf(tenantMap);
    }

    public Catalog(String serverVersion, List<Table> tables, List<UserType> types, List<Sequence> sequences,
                   List<View> views, List<Extension> extensions, List<Routine> routines, Access access, List<Statistic> statistics,
                   List<OperatorOrCast> operatorsAndCasts) {
        this(serverVersion, tables, types, sequences, views, extensions, routines, access, statistics, operatorsAndCasts, java.util.Map.of());
    }

    /** The same schema with a table's sequences owned by it under another name (the table renamed while streaming). */
    public Catalog withSequencesOwnedBy(QualifiedName was, QualifiedName now) {
        return new Catalog(serverVersion, tables, types, sequences.stream().map(s -> was.equals(s.ownedByTable()) ? s.ownedBy(now) : s).toList(), views,
                extensions, routines, access, statistics, operatorsAndCasts, tenantMap);
    }

    /** The same schema, with the tenant keys a mapping of the source gives. */
    public Catalog withTenantMap(java.util.Map<String, Long> map) {
        return new Catalog(serverVersion, tables, types, sequences, views, extensions, routines, access, statistics, operatorsAndCasts, map);
    }

    public Catalog(String serverVersion, List<Table> tables, List<UserType> types, List<Sequence> sequences,
                   List<View> views, List<Extension> extensions, List<Routine> routines, Access access) {
        this(serverVersion, tables, types, sequences, views, extensions, routines, access, List.of(), List.of());
    }

    public Catalog(String serverVersion, List<Table> tables, List<UserType> types, List<Sequence> sequences,
                   List<View> views, List<Extension> extensions) {
        this(serverVersion, tables, types, sequences, views, extensions, List.of(), Access.none());
    }

    /** An installed extension that the target must have too. */
    public record Extension(String name, String schema) {}

    public Optional<Table> table(QualifiedName n) {
        return tables.stream().filter(t -> t.name().equals(n)).findFirst();
    }
}

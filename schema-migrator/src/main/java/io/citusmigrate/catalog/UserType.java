package io.citusmigrate.catalog;

import java.util.List;

/**
 * A user-defined type: an enum (labels), a domain (base type, default, NOT NULL, checks), a
 * composite (attributes as "name type") or a range (subtype).
 */
public record UserType(QualifiedName name, Kind kind, List<String> labels, String baseType, String domainDefault,
                       boolean domainNotNull, List<String> checks, List<String> attributes, String rangeSubtype) {
    public enum Kind { ENUM, DOMAIN, COMPOSITE, RANGE }
}

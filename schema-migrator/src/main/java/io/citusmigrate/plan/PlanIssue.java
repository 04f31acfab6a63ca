package io.citusmigrate.plan;

import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.load.Position;

/** An error (the plan cannot work on Citus) or a warning, about a table or the whole plan. */
public record PlanIssue(Severity severity, QualifiedName table, String message, Position at) {
    public enum Severity { ERROR, WARNING }

    public static PlanIssue error(QualifiedName table, String message) {
        return new PlanIssue(Severity.ERROR, table, message, null);
    }

    public static PlanIssue warning(QualifiedName table, String message) {
        return new PlanIssue(Severity.WARNING, table, message, null);
    }

    @Override
    public String toString() {
        return (at != null ? at + ": " : "") + severity.name().toLowerCase() + ": "
                + (table != null ? table + ": " : "") + message;
    }
}

package io.citusmigrate.plan;

import io.citusmigrate.catalog.Catalog.Extension;
import io.citusmigrate.catalog.QualifiedName;
import io.citusmigrate.catalog.Routine;
import io.citusmigrate.catalog.Sequence;
import io.citusmigrate.catalog.UserType;
import io.citusmigrate.catalog.View;

import java.util.List;
import java.util.Optional;

/**
 * The whole migration plan: target schemas, types, sequences, tables (in creation order:
 * reference tables, then distributed tables parents first, then local ones), views, routines,
 * who may do what (privileges, owners, row-level security), and every error and warning. It is
 * computed before anything touches the target.
 */
public record Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                   List<TablePlan> tables, List<View> views, List<PlanIssue> issues, List<Routine> routines, AccessPlan access,
                   List<io.citusmigrate.catalog.Statistic> statistics, List<io.citusmigrate.catalog.OperatorOrCast> operatorsAndCasts) {

    public Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                List<TablePlan> tables, List<View> views, List<PlanIssue> issues, List<Routine> routines, AccessPlan access) {
        this(schemas, extensions, types, sequences, tables, views, issues, routines, access, List.of(), List.of());
    }

    public Plan(List<String> schemas, List<Extension> extensions, List<UserType> types, List<Sequence> sequences,
                List<TablePlan> tables, List<View> views, List<PlanIssue> issues) {
        this(schemas, extensions, types, sequences, tables, views, issues, List.of(), AccessPlan.none());
    }

    public boolean ok() {
        return errors().isEmpty();
    }

    public List<PlanIssue> errors() {
        return issues.stream().filter(i -> i.severity() == PlanIssue.Severity.ERROR).toList();
    }

    public List<PlanIssue> warnings() {
        return issues.stream().filter(i -> i.severity() == PlanIssue.Severity.WARNING).toList();
    }

    public Optional<TablePlan> table(QualifiedName sourceName) {
        return tables.stream().filter(t -> t.source().name().equals(sourceName)).findFirst();
    }

    public Optional<TablePlan> tableByTarget(QualifiedName targetName) {
        return tables.stream().filter(t -> t.target().equals(targetName)).findFirst();
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.OrphanReport;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.plan.Plan;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code citus-migrate plan FILE [--json]}: prints the plan; exits 1 when Citus would reject it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Reads the source schema and prints the distribution plan. Touches nothing.")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Session s = in.session();
        PlanReport report = PlanReport.of(s.command(), s.plan(), s.plan().ok() ? orphans(s.command(), s.plan()) : List.of(), liveNeeds(s.command()));
        if (json.on) {
            in.printJson(report);
        } else {
            report.print(in.out());
            in.out().flush();
        }
        return s.plan().ok() ? Main.OK : Main.FAILED;
    }

    /** What a live migration needs of the source; null for a file that only loads (schema or snapshot only). */
    private static io.citusmigrate.stream.LiveRequirements liveNeeds(LoadCommand cmd) {
        if (cmd.options().flag(io.citusmigrate.load.Option.SNAPSHOT_ONLY) || cmd.options().flag(io.citusmigrate.load.Option.SCHEMA_ONLY)) return null;
        try (Connection source = Databases.connect("source", cmd.source())) {
            return io.citusmigrate.stream.LiveRequirements.read(source);
        } catch (SQLException e) {
            throw new UserError("reading what the source allows on " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
    }

    /** The rows without a tenant that the bulk load would meet, counted on the source. */
    private static List<OrphanReport> orphans(LoadCommand cmd, Plan plan) {
        try (Connection source = Databases.connect("source", cmd.source())) {
            return BulkLoader.orphans(source, BulkLoader.projections(plan), Databases.hasRecordHash(source), true);
        } catch (SQLException e) {
            throw new UserError("counting orphan rows on the source " + cmd.source() + " failed: " + Databases.oneLine(e, cmd.source()));
        }
    }
}

package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.citusmigrate.copy.BulkLoader;
import io.citusmigrate.copy.OrphanReport;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code citus-migrate plan FILE [--json]}: prints the plan; exits 1 when Citus would reject it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Reads the source schema and prints the distribution plan. Touches nothing.")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @Option(names = "--json", description = "print the plan as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = in.out();
        Session s = in.session();
        LoadCommand cmd = s.command();
        List<OrphanReport> orphans = List.of();
        if (s.plan().ok()) {
            try (Connection source = Databases.connect("source", cmd.source())) {
                orphans = BulkLoader.orphans(source, BulkLoader.projections(s.plan()), Databases.hasRecordHash(source), true);
            } catch (java.sql.SQLException e) {
                throw new io.citusmigrate.UserError("counting orphan rows on the source " + cmd.source() + " failed: "
                        + Databases.oneLine(e, cmd.source()));
            }
        }
        PlanReport report = PlanReport.of(cmd, s.plan(), orphans);
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        } else {
            report.print(out);
        }
        out.flush();
        return s.plan().ok() ? Main.OK : Main.FAILED;
    }
}

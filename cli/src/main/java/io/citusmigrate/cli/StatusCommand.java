package io.citusmigrate.cli;

import io.citusmigrate.status.MigrationStatus;
import io.citusmigrate.status.StatusReport;
import io.citusmigrate.steps.MigrationSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate status FILE}: where the live migration of a command file stands, from
 * another terminal: its phase, the row changes applied (per table) and their rate, and how far
 * behind the source the target is, as the running {@code migrate} last reported it on the target.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows where the live migration of a command file stands: phase, row changes applied per table, rate, lag.")
final class StatusCommand implements Callable<Integer> {
    @CommandLine.Mixin
    LiveFile in;

    @CommandLine.Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        // JSON is all that --json prints
        MigrationSettings settings = in.settings(json.on ? new PrintWriter(OutputStream.nullOutputStream()) : in.out());
        if (settings.tenantDatabases() && in.cluster() == null) return databases(settings);
        MigrationStatus status = MigrationStatus.read(settings.command(), settings.slot(), in.cluster(), in.connectors());
        if (json.on) {
            in.out().println(StatusReport.json(status, in.file.toString()));
            in.out().flush();
        } else {
            StatusReport.print(status, in.file.toString(), in.out());
        }
        return Main.OK;
    }

    /** Tenant databases consolidated: each database's stream (its slot, how far behind, what it wrote), one after the other. */
    private Integer databases(MigrationSettings settings) throws Exception {
        io.citusmigrate.load.LoadCommand cmd = settings.command();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode all = mapper.createObjectNode();
        for (String db : io.citusmigrate.catalog.TenantDatabases.names(cmd)) {
            io.citusmigrate.load.LoadCommand one = cmd.withSource(io.citusmigrate.catalog.TenantDatabases.url(cmd, db));
            MigrationStatus status = MigrationStatus.read(one, MigrationSettings.slotFor(settings.slot(), db), null, java.util.List.of());
            if (json.on) {
                all.set(db, mapper.readTree(StatusReport.json(status, in.file.toString())));
            } else {
                in.out().println("tenant database " + db + ":");
                StatusReport.print(status, in.file.toString(), in.out());
                in.out().println();
            }
        }
        if (json.on) in.out().println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(mapper.createObjectNode().set("tenant_databases", all)));
        in.out().flush();
        return Main.OK;
    }
}

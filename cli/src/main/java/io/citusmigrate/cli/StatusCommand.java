package io.citusmigrate.cli;

import io.citusmigrate.load.LoadCommand;
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
    CommandFile in;

    @CommandLine.Option(names = "--json", description = "print the status as JSON")
    boolean json;

    /** A Connect deployment: its connectors' states and the slot's lag. */
    @CommandLine.Mixin
    ConnectDeployment deployment;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = in.out();
        LoadCommand cmd = in.load();
        String slot = MigrationSettings.slot(cmd);
        // JSON is all that --json prints
        deployment.findRecorded(cmd, slot, json ? new PrintWriter(OutputStream.nullOutputStream()) : out);
        MigrationStatus status = MigrationStatus.read(cmd, slot, deployment.cluster(), deployment.connectors());
        if (json) {
            out.println(StatusReport.json(status, in.file.toString()));
            out.flush();
        } else {
            StatusReport.print(status, in.file.toString(), out);
        }
        return Main.OK;
    }
}

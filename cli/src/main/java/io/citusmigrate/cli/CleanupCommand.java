package io.citusmigrate.cli;

import io.citusmigrate.cleanup.Cleanup;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.steps.MigrationSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code citus-migrate cleanup FILE}: what an abandoned live migration of a command file leaves
 * behind, said first, then removed ({@link Cleanup}). The target's tables stay.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Removes what an abandoned live migration left: the slot and publication on the source, its progress rows on the target.")
final class CleanupCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Option(names = "--dry-run", description = "say what would be removed, remove nothing")
    boolean dryRun;

    /** A Connect deployment: its connectors NAME-source and NAME-sink go first. */
    @CommandLine.Mixin
    ConnectDeployment deployment;

    @Override
    public Integer call() {
        LoadCommand cmd = in.load();
        MigrationSettings settings = MigrationSettings.of(in.file, cmd, false, false, false);
        deployment.findRecorded(cmd, settings.slot(), in.out());
        new Cleanup(settings, in.out()).run(deployment.cluster(), deployment.connect, deployment.connectors(), dryRun);
        return Main.OK;
    }
}

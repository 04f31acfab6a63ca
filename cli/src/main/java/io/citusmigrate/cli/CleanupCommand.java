package io.citusmigrate.cli;

import io.citusmigrate.cleanup.Cleanup;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code citus-migrate cleanup FILE}: what an abandoned live migration of a command file leaves
 * behind, said first, then removed ({@link Cleanup}), a Connect deployment's connectors first.
 * The target's tables stay.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Removes what an abandoned live migration left: the slot and publication on the source, its progress rows on the target.")
final class CleanupCommand implements Callable<Integer> {
    @CommandLine.Mixin
    LiveFile in;

    @CommandLine.Option(names = "--dry-run", description = "say what would be removed, remove nothing")
    boolean dryRun;

    @Override
    public Integer call() {
        new Cleanup(in.settings(in.out()), in.out()).run(in.cluster(), in.connect, in.connectors(), dryRun);
        return Main.OK;
    }
}

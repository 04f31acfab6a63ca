package io.citusmigrate.cli;

import io.citusmigrate.steps.Verification;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate verify FILE}: compares each table on both sides (row counts, a content
 * checksum of the source projected through the plan, tenant keys against their parents).
 * Run it while the source is quiet: it reads the source as it is now.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compares every table of the source (projected through the plan) with the target; exits 1 on any difference.")
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file the migration ran with")
    Path file;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        Session s = Session.open(cmd);
        return Verification.report(out, err, Verification.compare(cmd, s.plan())) ? Main.OK : Main.FAILED;
    }
}

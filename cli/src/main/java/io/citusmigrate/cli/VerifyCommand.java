package io.citusmigrate.cli;

import io.citusmigrate.steps.Verification;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code citus-migrate verify FILE}: compares each table on both sides (row counts, a content
 * checksum of the source projected through the plan, tenant keys against their parents).
 * Run it while the source is quiet: it reads the source as it is now.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compares every table of the source (projected through the plan) with the target; exits 1 on any difference.")
final class VerifyCommand implements Callable<Integer> {
    @CommandLine.Mixin
    CommandFile in;

    @Override
    public Integer call() {
        Session s = in.session();
        return Verification.report(in.out(), in.err(), Verification.compare(s.command(), s.plan())) ? Main.OK : Main.FAILED;
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.db.ConnectionError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The citus-migrate command. Exit codes: 0 success, 1 failure (a plan Citus would reject, a
 * failed step), 2 bad usage or a bad command file, 3 a database that cannot be reached,
 * 4 an internal error.
 */
@Command(name = "citus-migrate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, resourceBundle = "io.citusmigrate.cli.Help",
        description = {"Moves a multi-tenant PostgreSQL database onto a Citus cluster.",
                "`citus-migrate FILE...` loads each command file once and exits, as `pgloader FILE` does (a bulk load);"
                        + " `citus-migrate migrate FILE` migrates live, streaming changes until `citus-migrate cutover FILE`."},
        subcommands = {PlanCommand.class, MigrateCommand.class, CutoverCommand.class, StatusCommand.class, CleanupCommand.class, DemoCommand.class, VerifyCommand.class, SinkConfigCommand.class, DeployCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure: the plan cannot work on Citus, or a step failed",
                "2:bad usage or a bad command file", "3:a database cannot be reached", "4:internal error"})
public final class Main implements java.util.concurrent.Callable<Integer> {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int UNREACHABLE = 3;
    public static final int INTERNAL = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "FILE", arity = "0..*",
            description = "command files to load once each, as pgloader does: schema, data, keys, sequences, verification, then exit")
    java.util.List<java.nio.file.Path> files = new java.util.ArrayList<>();

    @CommandLine.Mixin
    LoadFiles load;

    @CommandLine.Option(names = {"-v", "--verbose"}, description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        if (files.isEmpty()) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return OK;
        }
        return load.run(files, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    public static void main(String[] args) {
        if (java.util.List.of(args).contains("--verbose") || java.util.List.of(args).contains("-v")) {
            // Debezium's stack traces, which simplelogger.properties keeps out of a stopped stream's one-line error
            System.setProperty("org.slf4j.simpleLogger.log.io.debezium.embedded", "error");
            System.setProperty("org.slf4j.simpleLogger.log.io.debezium.pipeline.ErrorHandler", "error");
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests drive it with their own writers. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::handle);
        return cl;
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        boolean verbose = parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"))
                || parsed.hasMatchedOption("--verbose");
        if (e instanceof UserError u) {
            err.println("error: " + u.getMessage());
            if (verbose) e.printStackTrace(err);
            err.flush();
            if (u instanceof io.citusmigrate.BadInput) return BAD_INPUT;
            if (u instanceof ConnectionError) return UNREACHABLE;
            return FAILED;
        }
        err.println("[ERROR] internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
        if (verbose) e.printStackTrace(err);
        err.flush();
        return INTERNAL;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"citus-migrate " + (v == null ? "development build" : v)};
        }
    }
}

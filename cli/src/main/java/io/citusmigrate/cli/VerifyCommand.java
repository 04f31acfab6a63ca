package io.citusmigrate.cli;

import io.citusmigrate.UserError;
import io.citusmigrate.db.Databases;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.verify.Verifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
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
        return report(out, err, compare(cmd, s));
    }

    /** Each table of the source, projected through the plan, against the target (one snapshot of the source). */
    static List<Verifier.TableCheck> compare(LoadCommand cmd, Session s) {
        try (Connection source = Databases.connect("source", cmd.source()); Connection target = Databases.target(cmd)) {
            Databases.setTimeZone(target, Databases.timeZone(source));
            source.setAutoCommit(false);
            source.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            List<Verifier.TableCheck> checks = Verifier.verify(s.plan(), source, target);
            source.commit();
            return checks;
        } catch (SQLException e) {
            throw new UserError("verification failed to run: " + Databases.oneLine(e, null));
        }
    }

    /** The table of results; every difference on stderr. Exit code: 0 when all agree. */
    static int report(PrintWriter out, PrintWriter err, List<Verifier.TableCheck> checks) {
        int w = Math.max(5, checks.stream().mapToInt(c -> c.table().length()).max().orElse(5));
        String fmt = "%-" + w + "s  %12s  %12s  %s%n";
        out.printf(fmt, "TABLE", "SOURCE ROWS", "TARGET ROWS", "RESULT");
        for (Verifier.TableCheck c : checks) {
            out.printf(fmt, c.table(), c.sourceRows(), c.targetRows(), c.ok() ? "ok" : "DIFFERS: " + c.problem() + ", e.g. key " + c.sampleKey());
        }
        out.flush();
        List<Verifier.TableCheck> bad = checks.stream().filter(c -> !c.ok()).toList();
        bad.forEach(c -> err.println("verification failed: " + c.table() + ": " + c.problem() + ", e.g. key " + c.sampleKey()));
        err.flush();
        return bad.isEmpty() ? Main.OK : Main.FAILED;
    }
}

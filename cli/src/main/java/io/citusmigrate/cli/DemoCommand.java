package io.citusmigrate.cli;

import io.citusmigrate.BadInput;
import io.citusmigrate.demo.DemoRun;
import io.citusmigrate.demo.DemoServers;
import io.citusmigrate.stream.LiveProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code citus-migrate demo}: a live migration to watch, needing nothing but Java ({@link DemoRun}),
 * running this command line's `migrate`, `cutover` and `verify` in this process.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs a whole live migration of the example multi-tenant data, with an application writing, on this machine.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--target", paramLabel = "URL",
            description = "a Citus coordinator database (postgresql://user:password@host:port/db) to migrate into, in the schema "
                    + DemoServers.SCHEMA + "; without it, an embedded PostgreSQL in rehearsal mode (nothing is distributed there)")
    String target;

    @CommandLine.Option(names = "--scale", defaultValue = "0.02", description = "size of the example data: 1 is about 3M rows (default: ${DEFAULT-VALUE})")
    double scale;

    @CommandLine.Option(names = "--rate", paramLabel = "TX_PER_S", defaultValue = "50",
            description = "the application's transactions per second (default: ${DEFAULT-VALUE})")
    int rate;

    @CommandLine.Option(names = "--stream-seconds", defaultValue = "15",
            description = "how long to stream with the application writing before the cutover (default: ${DEFAULT-VALUE})")
    int streamSeconds;

    @CommandLine.Option(names = "--keep", description = "keep the work directory (command file, rejects) and, with --target, the migrated schema")
    boolean keep;

    @CommandLine.Mixin
    Console console;

    @Override
    public Integer call() throws Exception {
        if (scale <= 0 || rate <= 0 || streamSeconds < 0) throw new BadInput("--scale and --rate must be positive, --stream-seconds not negative");
        DemoRun demo = new DemoRun(new DemoRun.Settings(target, scale, rate, streamSeconds, keep), (out, err, args) -> {
            CommandLine cl = Main.commandLine();
            cl.setOut(out);
            cl.setErr(err);
            return cl.execute(args);
        }, (t, slot) -> {
            LiveProgress.Status st = LiveProgress.read(t, slot);
            return st == null ? null : st.lagSeconds();
        }, console.out(), console.err());
        return demo.run() ? Main.OK : Main.FAILED;
    }
}

package io.citusmigrate.cli;

import io.citusmigrate.crash.CrashPoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command line in a JVM of its own, so that a test can kill it as {@code kill -9} does, or
 * let it die at a crash point, and then run again what it advises.
 */
final class Child {
    private final Process process;
    private final Path log;

    private Child(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code citus-migrate ARGS}; with {@code crashAt}, the process dies at that crash point. */
    static Child start(Path dir, String crashAt, String... args) throws IOException {
        Path log = Files.createTempFile(dir, "child", ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-Xmx512m");
        if (crashAt != null) cmd.add("-D" + CrashPoints.PROPERTY + "=" + crashAt);
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Child(p, log);
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, as `kill` or a service manager sends: shutdown hooks run. */
    void terminate() {
        process.destroy();
    }

    /** SIGKILL: no shutdown hook, no finally block runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Its exit status, once it has ended (a test fails rather than wait forever). */
    int exitCode(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("citus-migrate did not end within " + seconds + " s:\n" + output());
        }
        return process.exitValue();
    }
}

package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs what a command's first second runs (the command line, a command file read, a database
 * tried, a TLS client hello, JSON), with nothing to connect to, so that the build can record
 * the classes it loads into a class-data archive the launcher maps: a JVM then starts a command
 * without parsing and verifying them again. Prints nothing.
 */
final class StartupClasses {
    private StartupClasses() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("citus-migrate-startup");
        try {
            Path file = dir.resolve("startup.load");
            // port 1: refused at once, after the driver's connection classes are loaded
            Files.writeString(file, """
                    load database
                       from pgsql://u@127.0.0.1:1/source
                       into pgsql://u@127.0.0.1:1/target
                       with include drop
                       distribute companies using id
                       distribute ads using company_id from campaigns;
                    """);
            StringWriter said = new StringWriter();
            for (List<String> command : List.of(List.of("--help"), List.of("plan", file.toString()), List.of("status", file.toString()),
                    List.of("cutover", file.toString(), "--stop-writes"), List.of("verify", file.toString()))) {
                CommandLine cl = Main.commandLine();
                cl.setOut(new PrintWriter(said));
                cl.setErr(new PrintWriter(said));
                cl.execute(command.toArray(String[]::new));
            }
            clientHello();
            ObjectMapper json = new ObjectMapper();
            json.readTree(json.writeValueAsString(Map.of("table", List.of(1, "a", 2.5))));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.delete(p);
            }
            Files.delete(dir);
        }
    }

    /** A TLS connection's first step, as pgjdbc takes it: the engine, its key shares, a ClientHello. */
    private static void clientHello() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, null, null);
        SSLEngine engine = tls.createSSLEngine("localhost", 5432);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) task.run();
    }
}

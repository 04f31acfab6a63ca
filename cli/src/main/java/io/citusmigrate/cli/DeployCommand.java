package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.UserError;
import io.citusmigrate.live.ConnectorConfigs;
import io.citusmigrate.live.LiveSource;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.Option;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code citus-migrate deploy FILE --connect URL}: puts Debezium's PostgreSQL source and the
 * Citus sink for the plan on an existing Kafka Connect cluster through its REST API, and waits
 * until both run. The target schema must exist (`migrate` with `schema only`).
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Deploys Debezium's PostgreSQL source and the Citus sink for the plan to a Kafka Connect cluster through its REST API.")
final class DeployCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file")
    Path file;

    @CommandLine.Option(names = "--connect", required = true, description = "the Connect cluster's REST URL, e.g. http://connect:8083")
    String connect;

    @CommandLine.Option(names = "--name", defaultValue = "citus-migrate", description = "connector name prefix: NAME-source, NAME-sink (default: ${DEFAULT-VALUE})")
    String name;

    @CommandLine.Option(names = "--topic-prefix", defaultValue = "citus_migrate", description = "Debezium's topic.prefix (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @CommandLine.Option(names = "--passwords", defaultValue = "env",
            description = "env: the configs refer to $${env:CITUS_MIGRATE_SOURCE_PASSWORD} and $${env:CITUS_MIGRATE_TARGET_PASSWORD}, which the"
                    + " workers resolve (config.providers=env); inline: the passwords of the command file go to the cluster, whose"
                    + " REST API then shows them in plain text (a warning says so) (default: ${DEFAULT-VALUE})")
    String passwords;

    @CommandLine.Option(names = "--delete", description = "delete both connectors instead (the slot stays on the source: drop it when done)")
    boolean delete;

    @CommandLine.Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for the connectors to run (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        String source = name + "-source";
        String sink = name + "-sink";
        if (delete) {
            for (String c : List.of(source, sink)) {
                int code = send("DELETE", "connectors/" + c, null).statusCode();
                out.println(c + (code == 404 ? ": not there" : ": deleted"));
            }
            out.println("the replication slot " + MigrateCommand.slotName(cmd) + " stays on the source until you drop it");
            out.flush();
            return Main.OK;
        }
        ConnectorConfigs.Passwords pw = switch (passwords) {
            case "env" -> ConnectorConfigs.Passwords.ENV;
            case "inline" -> ConnectorConfigs.Passwords.INLINE;
            default -> throw new io.citusmigrate.BadInput("--passwords must be env or inline, not " + passwords);
        };
        if (pw == ConnectorConfigs.Passwords.INLINE) {
            err.println("warning: --passwords inline: the Connect cluster's REST API shows them in plain text to anyone who can read"
                    + " GET /connectors/NAME/config; prefer --passwords env");
            err.flush();
        }
        Session s = Session.open(cmd);
        if (!s.plan().ok()) {
            s.plan().errors().forEach(e -> err.println(e));
            err.flush();
            return Main.FAILED;
        }
        // Debezium takes the snapshot on a Connect cluster
        java.util.List<String> uncarried = io.citusmigrate.live.StreamedTypes.uncarried(s.plan(), s.catalog(), true);
        if (!uncarried.isEmpty()) {
            err.println("These columns cannot be streamed exactly through Debezium; nothing was deployed:");
            uncarried.forEach(u -> err.println("  " + u));
            err.flush();
            return Main.FAILED;
        }
        String slot = MigrateCommand.slotName(cmd);
        String publication = LiveSource.publicationName(cmd.options().string(Option.PUBLICATION_NAME), slot);
        Map<String, String> src = ConnectorConfigs.source(cmd, s.plan(), s.catalog(), topicPrefix, slot, publication, "initial", pw);
        src.putAll(ConnectorConfigs.jsonWithSchemas());
        src.put("topic.creation.default.replication.factor", "-1");
        src.put("topic.creation.default.partitions", "1"); // one partition per table keeps its changes in order
        Map<String, String> snk = ConnectorConfigs.sink(cmd, s.plan(), topicPrefix, sink, pw);
        snk.putAll(ConnectorConfigs.jsonWithSchemas());
        snk.put("consumer.override.auto.offset.reset", "earliest");
        put(sink, snk);
        put(source, src);
        out.println("deployed " + source + " (Debezium, slot " + slot + ", snapshot then streaming) and " + sink + " to " + connect);
        out.flush();
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        while (true) {
            String a = state(source);
            String b = state(sink);
            if (a.equals("RUNNING") && b.equals("RUNNING")) {
                out.println(source + ": RUNNING, " + sink + ": RUNNING");
                out.flush();
                return Main.OK;
            }
            if (a.startsWith("FAILED") || b.startsWith("FAILED") || System.currentTimeMillis() > deadline) {
                err.println(source + ": " + a + "\n" + sink + ": " + b);
                err.flush();
                return Main.FAILED;
            }
            Thread.sleep(500);
        }
    }

    private void put(String connector, Map<String, String> config) {
        HttpResponse<String> r;
        try {
            r = send("PUT", "connectors/" + connector + "/config", json.writeValueAsString(config));
        } catch (IOException e) {
            throw new UserError("cannot write the config of " + connector + ": " + e.getMessage());
        }
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            throw new UserError("the Connect cluster " + connect + " refused " + connector + ": HTTP " + r.statusCode() + " " + message(r.body()));
        }
    }

    /** The connector's and its task's state, e.g. RUNNING, or FAILED with the first line of the trace. */
    private String state(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/status", null);
        if (r.statusCode() != 200) return "not there yet";
        try {
            JsonNode n = json.readTree(r.body());
            String c = n.path("connector").path("state").asText();
            JsonNode tasks = n.path("tasks");
            if (!c.equals("RUNNING")) return c;
            if (tasks.isEmpty()) return "no task yet";
            JsonNode t = tasks.get(0);
            String st = t.path("state").asText();
            return st.equals("FAILED") ? "FAILED: " + t.path("trace").asText().lines().findFirst().orElse("") : st;
        } catch (IOException e) {
            return "unreadable status";
        }
    }

    private HttpResponse<String> send(String method, String path, String body) {
        String base = connect.endsWith("/") ? connect : connect + "/";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new io.citusmigrate.db.ConnectionError("cannot reach the Connect cluster " + connect + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }

    private String message(String body) {
        try {
            return json.readTree(body).path("message").asText(body);
        } catch (IOException e) {
            return body;
        }
    }
}

package io.citusmigrate.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.citusmigrate.UserError;
import io.citusmigrate.db.ConnectionError;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Kafka Connect cluster through its REST API: what `deploy`, `cutover` and `cleanup` ask of it. */
public final class ConnectCluster {
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = new ObjectMapper();

    public ConnectCluster(String url) {
        this.base = url.endsWith("/") ? url : url + "/";
    }

    @Override
    public String toString() {
        return base;
    }

    /**
     * The settings the connector's plugin finds invalid, as "name: why", checked through
     * {@code PUT /connector-plugins/{class}/config/validate}; empty when the config is valid.
     */
    public List<String> invalid(Map<String, String> config) {
        String cls = config.get("connector.class");
        HttpResponse<String> r = send("PUT", "connector-plugins/" + URLEncoder.encode(cls, StandardCharsets.UTF_8) + "/config/validate",
                write(config));
        if (r.statusCode() == 404) return List.of("connector.class: the cluster has no plugin " + cls + " (is it in the workers' plugin.path?)");
        if (r.statusCode() != 200) throw new UserError("the Connect cluster " + base + " could not validate " + cls + ": HTTP " + r.statusCode()
                + " " + message(r.body()));
        List<String> out = new ArrayList<>();
        for (JsonNode c : read(r.body()).path("configs")) {
            JsonNode v = c.path("value");
            for (JsonNode e : v.path("errors")) out.add(v.path("name").asText() + ": " + e.asText());
        }
        return out;
    }

    /** The connector's config as the cluster holds it, or null when there is no such connector. */
    public Map<String, String> config(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/config", null);
        if (r.statusCode() == 404) return null;
        if (r.statusCode() != 200) throw new UserError("the Connect cluster " + base + " could not show " + connector + ": HTTP " + r.statusCode());
        Map<String, String> out = new LinkedHashMap<>();
        read(r.body()).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    public void put(String connector, Map<String, String> config) {
        HttpResponse<String> r = send("PUT", "connectors/" + connector + "/config", write(config));
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            throw new UserError("the Connect cluster " + base + " refused " + connector + ": HTTP " + r.statusCode() + " " + message(r.body()));
        }
    }

    /** True when it was there. */
    public boolean delete(String connector) {
        return send("DELETE", "connectors/" + connector, null).statusCode() != 404;
    }

    /**
     * Deletes a connector and the source offsets Connect keeps for it (KIP-875: stopped first),
     * so that a connector of the same name deployed later does not resume from a slot that is
     * gone. True when it was there.
     */
    public boolean deleteWithOffsets(String connector) throws InterruptedException {
        if (send("PUT", "connectors/" + connector + "/stop", null).statusCode() == 404) return false;
        long deadline = System.currentTimeMillis() + 30_000;
        while (!stateOf(connector).equals("STOPPED") && System.currentTimeMillis() < deadline) Thread.sleep(250);
        send("DELETE", "connectors/" + connector + "/offsets", null);
        return delete(connector);
    }

    private String stateOf(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/status", null);
        return r.statusCode() != 200 ? "" : read(r.body()).path("connector").path("state").asText();
    }

    public void pause(String connector) {
        send("PUT", "connectors/" + connector + "/pause", null);
    }

    /** The topics a connector has used (KIP-558): for a source, those it has written records to. */
    public java.util.Set<String> activeTopics(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/topics", null);
        java.util.Set<String> out = new java.util.TreeSet<>();
        if (r.statusCode() == 200) read(r.body()).path(connector).path("topics").forEach(t -> out.add(t.asText()));
        return out;
    }

    /** How many tasks the connector runs now. */
    public int taskCount(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/status", null);
        return r.statusCode() != 200 ? 0 : read(r.body()).path("tasks").size();
    }

    /** The connector's and its tasks' state: RUNNING when all run, FAILED with the first line of a task's trace, or another state. */
    public String state(String connector) {
        HttpResponse<String> r = send("GET", "connectors/" + connector + "/status", null);
        if (r.statusCode() != 200) return "not there yet";
        JsonNode n = read(r.body());
        String c = n.path("connector").path("state").asText();
        if (!c.equals("RUNNING")) return c;
        JsonNode tasks = n.path("tasks");
        if (tasks.isEmpty()) return "no task yet";
        for (JsonNode t : tasks) {
            String st = t.path("state").asText();
            if (st.equals("FAILED")) return "FAILED: " + t.path("trace").asText().lines().findFirst().orElse("");
            if (!st.equals("RUNNING")) return st;
        }
        return "RUNNING";
    }

    private HttpResponse<String> send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ConnectionError("cannot reach the Connect cluster " + base + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted");
        }
    }

    private String write(Map<String, String> config) {
        try {
            return json.writeValueAsString(config);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode read(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new UserError("the Connect cluster " + base + " answered something unreadable: " + body);
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

package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.sink.TableRule;
import io.citusmigrate.sink.TableRules;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code citus-migrate sink-config FILE}: the Citus sink's connector config for the plan, ready
 * for a Connect cluster's REST API (PUT /connectors/NAME/config). Passwords are never written:
 * they are ${env:...} references for Connect's EnvVarConfigProvider.
 */
@Command(name = "sink-config", mixinStandardHelpOptions = true,
        description = "Prints the Citus sink connector's config for the plan, as JSON for Connect's REST API.")
final class SinkConfigCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the command file")
    Path file;

    @CommandLine.Option(names = "--topic-prefix", defaultValue = "src", description = "Debezium's topic.prefix (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @CommandLine.Option(names = "--name", defaultValue = "citus-sink", description = "connector name (default: ${DEFAULT-VALUE})")
    String name;

    @CommandLine.Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadCommand cmd = Session.load(file, err);
        Session s = Session.open(cmd);
        if (!s.plan().ok()) {
            s.plan().errors().forEach(e -> err.println(e));
            err.flush();
            return Main.FAILED;
        }
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.citusmigrate.sink.CitusSinkConnector");
        c.put("tasks.max", "1");
        c.put("topics", s.plan().tables().stream().filter(t -> !t.isPartition())
                .map(t -> topicPrefix + "." + t.source().name().schema() + "." + t.source().name().name()).collect(Collectors.joining(",")));
        c.put("connection.url", cmd.target().jdbcUrl());
        c.put("connection.user", cmd.target().user());
        c.put("connection.password", "${env:CITUS_MIGRATE_TARGET_PASSWORD}");
        c.put("source.connection.url", cmd.source().jdbcUrl());
        c.put("source.connection.user", cmd.source().user());
        c.put("source.connection.password", "${env:CITUS_MIGRATE_SOURCE_PASSWORD}");
        c.put("sink.name", name);
        c.put("citus.tables", TableRule.toJson(TableRules.from(s.plan())));
        c.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("key.converter.schemas.enable", "true");
        c.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("value.converter.schemas.enable", "true");
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(c));
        out.flush();
        err.println("note: the worker needs config.providers=env (EnvVarConfigProvider) for the ${env:...} passwords");
        err.flush();
        return Main.OK;
    }
}

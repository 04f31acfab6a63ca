package io.citusmigrate.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.live.ConnectorConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

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
        Map<String, String> c = ConnectorConfigs.sink(cmd, s.plan(), topicPrefix, name, ConnectorConfigs.Passwords.ENV);
        c.putAll(ConnectorConfigs.jsonWithSchemas());
        c.putAll(ConnectorConfigs.orphans(cmd, name + "-dlq", -1));
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(c));
        out.flush();
        err.println("note: the worker needs config.providers=env (EnvVarConfigProvider) for the ${env:...} passwords");
        err.flush();
        return Main.OK;
    }
}

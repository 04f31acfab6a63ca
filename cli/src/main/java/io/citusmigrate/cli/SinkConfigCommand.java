package io.citusmigrate.cli;

import io.citusmigrate.stream.ConnectorConfigs;
import io.citusmigrate.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
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
    @CommandLine.Mixin
    CommandFile in;

    @CommandLine.Option(names = "--topic-prefix", defaultValue = "src", description = "Debezium's topic.prefix (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @CommandLine.Option(names = "--name", defaultValue = "citus-sink", description = "connector name (default: ${DEFAULT-VALUE})")
    String name;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = in.err();
        Session s = in.session();
        LoadCommand cmd = s.command();
        if (s.refused(err) || s.streamRefused(err)) return Main.FAILED;
        Map<String, String> c = ConnectorConfigs.sink(cmd, s.plan(), topicPrefix, name, ConnectorConfigs.Passwords.ENV);
        c.putAll(ConnectorConfigs.jsonWithSchemas());
        c.putAll(ConnectorConfigs.orphans(cmd, name + "-dlq", -1));
        in.printJson(c);
        err.println("note: the worker needs config.providers=env (EnvVarConfigProvider) for the ${env:...} passwords");
        err.flush();
        return Main.OK;
    }
}

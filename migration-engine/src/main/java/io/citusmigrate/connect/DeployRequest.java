package io.citusmigrate.connect;

import io.citusmigrate.BadInput;
import io.citusmigrate.stream.ConnectorConfigs;

/**
 * What `deploy` was asked, as its options say it.
 *
 * @param connect the Connect cluster's REST URL
 * @param name    the connectors' name prefix: NAME-source, NAME-sink, NAME-dlq
 */
public record DeployRequest(String connect, String name, String topicPrefix, ConnectorConfigs.Passwords passwords, boolean dryRun,
                            boolean force, int dlqReplicationFactor, int timeoutSeconds, int sinkTasks, boolean noSchema) {

    /** --passwords: env or inline. */
    public static ConnectorConfigs.Passwords passwords(String given) {
        return switch (given) {
            case "env" -> ConnectorConfigs.Passwords.ENV;
            case "inline" -> ConnectorConfigs.Passwords.INLINE;
            default -> throw new BadInput("--passwords must be env or inline, not " + given);
        };
    }
}

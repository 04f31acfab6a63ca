package io.citusmigrate.cli;

import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

import java.util.Map;

/** A Connect cluster in the test's JVM (one worker, one broker) with the plugins on the class path, started. */
final class EmbeddedConnect {
    private EmbeddedConnect() {}

    static EmbeddedConnectCluster start(String name) {
        EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder().name(name).numWorkers(1).numBrokers(1)
                .workerProps(new java.util.HashMap<>(Map.of("plugin.discovery", "service_load", "offset.flush.interval.ms", "1000"))).build();
        connect.start();
        return connect;
    }

    /** The base URL of its REST API, as `--connect` takes it. */
    static String url(EmbeddedConnectCluster connect) {
        return connect.endpointForResource("connectors").replaceAll("connectors$", "");
    }
}

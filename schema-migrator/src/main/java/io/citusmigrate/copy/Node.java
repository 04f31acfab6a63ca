package io.citusmigrate.copy;

/** A Citus node as pg_dist_node names it. */
record Node(String host, int port) {
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}

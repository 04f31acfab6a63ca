package io.citusmigrate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU-seconds each PostgreSQL server on this machine has used: its postmaster, the backends it
 * has reaped (cutime, cstime) and those still running, from /proc. Servers are found by their
 * data directory's postmaster.pid, so only servers on this machine count; a server whose
 * directory cannot be read is left out.
 */
final class NodeCpu {
    private static final double TICKS = 100.0; // USER_HZ on Linux

    private final Map<String, Path> dataDirs = new LinkedHashMap<>();

    /** The coordinator and every node in its pg_dist_node (by host:port), each asked for its data directory. */
    static NodeCpu ofCluster(String jdbcUrl, String user, String password) throws SQLException {
        NodeCpu n = new NodeCpu();
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
            n.add("coordinator", c);
            try (ResultSet rs = s.executeQuery("SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeport")) {
                while (rs.next()) {
                    String node = rs.getString(1) + ":" + rs.getInt(2);
                    String url = jdbcUrl.replaceFirst("//[^/]+/", "//" + node + "/");
                    try (Connection w = DriverManager.getConnection(url, user, password)) {
                        n.add("worker " + node, w);
                    }
                }
            }
        }
        return n;
    }

    void add(String name, Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('data_directory')")) {
            rs.next();
            dataDirs.put(name, Path.of(rs.getString(1)));
        }
    }

    /** CPU-seconds so far per server. */
    Map<String, Double> now() {
        Map<String, Double> out = new LinkedHashMap<>();
        dataDirs.forEach((name, dir) -> {
            try {
                long pm = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).strip());
                long[] f = stat(pm);
                long ticks = f[0] + f[1] + f[2] + f[3];
                for (ProcessHandle child : ProcessHandle.of(pm).map(p -> p.children().toList()).orElse(java.util.List.of())) {
                    long[] cf = stat(child.pid());
                    ticks += cf[0] + cf[1];
                }
                out.put(name, ticks / TICKS);
            } catch (IOException | RuntimeException e) {
                // not on this machine, or not readable: left out
            }
        });
        return out;
    }

    /** utime, stime, cutime, cstime of a process (zeros when it has just ended). */
    static long[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // fields from the 3rd on
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14])};
        } catch (IOException e) {
            return new long[4];
        }
    }

    /** after - before, per server, as "name s" pairs with CPU-seconds per million {@code rows}. */
    static String perMillionRows(Map<String, Double> before, Map<String, Double> after, long rows) {
        StringBuilder b = new StringBuilder();
        after.forEach((name, v) -> {
            double used = v - before.getOrDefault(name, 0.0);
            b.append(b.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%s %.1f", name, used / (rows / 1e6)));
        });
        return b.toString();
    }
}

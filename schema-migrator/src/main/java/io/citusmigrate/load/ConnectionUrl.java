package io.citusmigrate.load;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * A PostgreSQL connection URL of a command file ({@code pgsql://user:pass@host:port/db?k=v}).
 * Missing parts come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and then libpq's
 * defaults. {@link #toString()} never shows the password.
 */
public record ConnectionUrl(String host, int port, String database, String user, String password,
                            Map<String, String> params) {

    public ConnectionUrl {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public static ConnectionUrl parse(String url) {
        return parse(url, System::getenv);
    }

    /** Parses a URL; throws IllegalArgumentException with what is wrong. */
    public static ConnectionUrl parse(String url, Function<String, String> env) {
        int schemeEnd = url.indexOf("://");
        if (schemeEnd < 0) throw new IllegalArgumentException("not a connection URL: expected pgsql://, postgres:// or postgresql://");
        String scheme = url.substring(0, schemeEnd).toLowerCase();
        if (!scheme.equals("pgsql") && !scheme.equals("postgres") && !scheme.equals("postgresql")) {
            throw new IllegalArgumentException("unsupported URL scheme '" + scheme + "': expected pgsql, postgres or postgresql");
        }
        String rest = url.substring(schemeEnd + 3);
        Map<String, String> params = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            for (String kv : rest.substring(q + 1).split("&")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("bad URL parameter '" + kv + "': expected key=value");
                params.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
            }
            rest = rest.substring(0, q);
        }
        String db = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            db = decode(rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        String user = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                user = decode(userInfo.substring(0, colon));
                password = decode(userInfo.substring(colon + 1));
            } else {
                user = decode(userInfo);
            }
        }
        String host = null;
        Integer port = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("unterminated [ in host");
            host = rest.substring(1, close);
            rest = rest.substring(close + 1);
            if (rest.startsWith(":")) port = port(rest.substring(1));
            else if (!rest.isEmpty()) throw new IllegalArgumentException("unexpected '" + rest + "' after host");
        } else {
            int colon = rest.indexOf(':');
            if (colon >= 0) {
                host = rest.substring(0, colon);
                port = port(rest.substring(colon + 1));
            } else {
                host = rest;
            }
        }
        if (host != null && !host.isEmpty() && !host.matches("[A-Za-z0-9._:%-]+")) {
            throw new IllegalArgumentException("bad host name '" + host + "'");
        }
        if (host == null || host.isEmpty()) host = orDefault(env.apply("PGHOST"), "localhost");
        if (host.startsWith("/")) host = "localhost"; // a socket directory: pgjdbc connects over TCP
        if (port == null) {
            String p = env.apply("PGPORT");
            port = p == null || p.isEmpty() ? 5432 : port(p);
        }
        // JDBC-style ?user=&password= work too
        if (user == null && params.containsKey("user")) user = params.remove("user");
        if (password == null && params.containsKey("password")) password = params.remove("password");
        params.remove("user");
        params.remove("password");
        if (user == null || user.isEmpty()) user = orDefault(env.apply("PGUSER"), System.getProperty("user.name"));
        if (password == null) password = env.apply("PGPASSWORD");
        if (db == null || db.isEmpty()) db = orDefault(env.apply("PGDATABASE"), user);
        return new ConnectionUrl(host, port, db, user, password, params);
    }

    private static int port(String p) {
        try {
            int n = Integer.parseInt(p);
            if (n <= 0 || n > 65535) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + p + "'");
        }
    }

    private static String orDefault(String v, String d) {
        return v == null || v.isEmpty() ? d : v;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    public String jdbcUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /** Driver properties: user, password and the URL's query parameters. */
    public Properties properties() {
        Properties p = new Properties();
        params.forEach(p::setProperty);
        p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        return p;
    }

    /** The same connection with another database. */
    public ConnectionUrl withDatabase(String db) {
        return new ConnectionUrl(host, port, db, user, password, params);
    }

    /** The URL without its password: safe to print. */
    @Override
    public String toString() {
        return "postgresql://" + user + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/" + database;
    }
}

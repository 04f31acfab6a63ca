package io.citusmigrate.copy;

import io.citusmigrate.load.LoadCommand;
import io.citusmigrate.load.LoadFileParser;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardRoutesTest {
    @Test
    void aWorkerThatCannotBeReachedIsNamedWithoutThePassword() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once it is closed
        }
        LoadCommand cmd = LoadFileParser.parse("t.load", "load database from pgsql://u:s3cret@127.0.0.1:" + closed
                + "/a into pgsql://u:s3cret@127.0.0.1:" + closed + "/b;", System::getenv);
        Optional<String> why = ShardRoutes.check(cmd, new Node("127.0.0.1", closed), Map.of());
        assertTrue(why.isPresent());
        assertTrue(why.get().startsWith("worker 127.0.0.1:" + closed + " is not reachable with the target URL's credentials ("), why.get());
        assertFalse(why.get().contains("s3cret"), why.get());
        assertEquals("rows through the coordinator: " + why.get(), ShardRoutes.coordinatorOnly(why.get()).summary());
    }

    @Test
    void aNodesUrlIsTheTargetUrlOnTheNodesHostAndPort() {
        LoadCommand cmd = LoadFileParser.parse("t.load", "load database from pgsql://u:p@src:5432/a into pgsql://me:pw@coord:9700/app?sslmode=require;",
                System::getenv);
        var url = ShardRoutes.urlOf(cmd.target(), new Node("10.0.0.7", 5433));
        assertEquals("postgresql://me@10.0.0.7:5433/app", url.toString());
        assertEquals("pw", url.password());
        assertEquals("require", url.params().get("sslmode"));
    }
}

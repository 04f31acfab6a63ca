package io.citusmigrate.sink;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CitusSinkConfigTest {
    @Test
    void passwordIsOfTypePasswordAndHidden() {
        assertEquals(ConfigDef.Type.PASSWORD, CitusSinkConfig.CONFIG_DEF.configKeys().get(CitusSinkConfig.CONNECTION_PASSWORD).type);
        CitusSinkConfig c = new CitusSinkConfig(Map.of("connection.url", "jdbc:postgresql://h/db", "connection.password", "hunter2"));
        assertEquals("hunter2", c.password().value());
        assertFalse(c.password().toString().contains("hunter2"));
    }

    @Test
    void validateReportsABadUrl() {
        Config result = new CitusSinkConnector().validate(Map.of("connection.url", "mysql://nope"));
        ConfigValue url = result.configValues().stream().filter(v -> v.name().equals("connection.url")).findFirst().orElseThrow();
        assertEquals(List.of("Invalid value mysql://nope for configuration connection.url: must start with jdbc:postgresql://"), url.errorMessages());
    }

    @Test
    void theTaskRefusesRecordsItCannotWriteYet() {
        CitusSinkTask t = new CitusSinkTask();
        t.start(Map.of("connection.url", "jdbc:postgresql://h/db"));
        t.put(List.of());
        ConnectException e = assertThrows(ConnectException.class,
                () -> t.put(List.of(new SinkRecord("topic", 0, null, null, null, "x", 0))));
        assertTrue(e.getMessage().contains("refusing 1 records"));
    }
}

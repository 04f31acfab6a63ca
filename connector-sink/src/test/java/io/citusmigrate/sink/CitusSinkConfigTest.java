package io.citusmigrate.sink;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
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
        CitusSinkConfig c = new CitusSinkConfig(Map.of("connection.url", "jdbc:postgresql://h/db", "connection.password", "hunter2",
                "citus.tables", "[{\"source\":\"public.t\",\"targetSchema\":\"public\",\"targetTable\":\"t\",\"key\":[\"id\"]}]"));
        assertEquals("hunter2", c.password().value());
        assertFalse(c.password().toString().contains("hunter2"));
    }

    @Test
    void validateReportsABadUrl() {
        Config result = new CitusSinkConnector().validate(Map.of("connection.url", "mysql://nope"));
        ConfigValue url = result.configValues().stream().filter(v -> v.name().equals("connection.url")).findFirst().orElseThrow();
        assertEquals(List.of("Invalid value mysql://nope for configuration connection.url: must start with jdbc:postgresql://"), url.errorMessages());
        ConfigValue tables = result.configValues().stream().filter(v -> v.name().equals("citus.tables")).findFirst().orElseThrow();
        assertEquals(List.of("Missing required configuration \"citus.tables\" which has no default value."), tables.errorMessages());
    }
}

package io.citusmigrate.stream;

import io.citusmigrate.UserError;
import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.NamePattern;
import io.citusmigrate.load.Position;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CapturedSchemasTest {
    private static final Position AT = new Position("t.load", 3, 3);

    @Test
    void schemaPatternsBecomeTheCapturesTestsOnTheSource() {
        List<DistributeRule> rules = List.of(DistributeRule.schemas(List.of(NamePattern.regex("^tenant_\\d+$"), NamePattern.literal("acme")), AT));
        assertEquals(" OR schema_name ~ E'^tenant_\\\\d+$' OR schema_name = 'acme'", CapturedSchemas.matching(rules));
        assertTrue(CapturedSchemas.any(rules));
        assertFalse(CapturedSchemas.any(List.of(DistributeRule.schemas(List.of(NamePattern.literal("acme")), AT))));
        assertEquals("", CapturedSchemas.matching(List.of()));
    }

    @Test
    void aPatternTheTwoRegularExpressionDialectsMightReadOtherwiseIsRefusedNamingWhere() {
        // Java's possessive quantifier and lookahead have no PostgreSQL equivalent
        for (String re : List.of("^tenant_(?=x)", "^t++", "\\p{Alpha}")) {
            UserError e = assertThrows(UserError.class, () -> CapturedSchemas.matching(List.of(DistributeRule.schemas(List.of(NamePattern.regex(re)), AT))));
            assertTrue(e.getMessage().startsWith("t.load:3:3: the schema pattern ~/" + re + "/ goes beyond"), e.getMessage());
        }
    }
}

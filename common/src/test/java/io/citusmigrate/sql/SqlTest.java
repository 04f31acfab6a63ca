package io.citusmigrate.sql;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SqlTest {
    @ParameterizedTest(name = "{0} is cast as {1}")
    @CsvSource(delimiter = '|', textBlock = """
            character varying(5)           | character varying
            character(3)                   | bpchar
            bit(4)                         | bit varying
            bit varying(8)                 | bit varying
            character varying(5)[]         | character varying[]
            # as a cast rule spells them
            varchar(5)                     | character varying
            CHAR (3)                       | bpchar
            varbit(2)                      | bit varying
            # types whose cast rounds the way storing does, or that have no length, stay as they are
            numeric(10,2)                  | numeric(10,2)
            timestamp(3) without time zone | timestamp(3) without time zone
            text                           | text
            character varying              | character varying
            """)
    void castsLeaveLengthsToTheColumnSoThatNothingIsTruncated(String type, String cast) {
        assertEquals(cast, Sql.castType(type));
    }

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            plain    | plain
            Mixed    | "Mixed"
            user     | "user"
            'a "b"'  | '"a ""b""\"'
            """)
    void identifiersAreQuotedOnlyWherePostgresqlNeedsIt(String name, String quoted) {
        assertEquals(quoted, Sql.ident(name));
    }
}

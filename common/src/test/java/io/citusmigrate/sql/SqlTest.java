package io.citusmigrate.sql;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SqlTest {
    @Test
    void castsLeaveLengthsToTheColumnSoThatNothingIsTruncated() {
        assertEquals("character varying", Sql.castType("character varying(5)"));
        assertEquals("bpchar", Sql.castType("character(3)"));
        assertEquals("bit varying", Sql.castType("bit(4)"));
        assertEquals("bit varying", Sql.castType("bit varying(8)"));
        assertEquals("character varying[]", Sql.castType("character varying(5)[]"));
        // as a cast rule spells them
        assertEquals("character varying", Sql.castType("varchar(5)"));
        assertEquals("bpchar", Sql.castType("CHAR (3)"));
        assertEquals("bit varying", Sql.castType("varbit(2)"));
        // types whose cast rounds the way storing does, or that have no length, stay as they are
        assertEquals("numeric(10,2)", Sql.castType("numeric(10,2)"));
        assertEquals("timestamp(3) without time zone", Sql.castType("timestamp(3) without time zone"));
        assertEquals("text", Sql.castType("text"));
        assertEquals("character varying", Sql.castType("character varying"));
    }

    @Test
    void identifiersAreQuotedOnlyWherePostgresqlNeedsIt() {
        assertEquals("plain", Sql.ident("plain"));
        assertEquals("\"Mixed\"", Sql.ident("Mixed"));
        assertEquals("\"user\"", Sql.ident("user"));
        assertEquals("\"a \"\"b\"\"\"", Sql.ident("a \"b\""));
    }
}

package io.citusmigrate.debezium;

import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGobject;

import java.time.LocalDate;
import java.util.GregorianCalendar;
import java.util.OptionalInt;
import java.util.TimeZone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FidelityConverterTest {

    @Test
    void bitVaryingKeepsItsLeadingZeros() throws Exception {
        assertEquals("0011", FidelityConverter.bitString("0011"));
        PGobject o = new PGobject();
        o.setType("varbit");
        o.setValue("00000");
        assertEquals("00000", FidelityConverter.bitString(o));
        assertEquals("", FidelityConverter.bitString(""));
        assertNull(FidelityConverter.bitString(null));
        assertThrows(IllegalArgumentException.class, () -> FidelityConverter.bitString(new byte[] {3}));
    }

    @Test
    void aBcDateFromJdbcStaysBc() {
        // what pgjdbc builds for '0044-03-15 BC': the fields, era included, in the default zone
        GregorianCalendar cal = new GregorianCalendar(TimeZone.getDefault());
        cal.clear();
        cal.set(GregorianCalendar.ERA, GregorianCalendar.BC);
        cal.set(44, GregorianCalendar.MARCH, 15);
        java.sql.Date bc = new java.sql.Date(cal.getTimeInMillis());
        assertEquals(LocalDate.of(-43, 3, 15).toEpochDay(), ((Integer) FidelityConverter.epochDay(bc)).longValue());
        assertEquals((int) LocalDate.of(2024, 2, 29).toEpochDay(), FidelityConverter.epochDay(java.sql.Date.valueOf("2024-02-29")));
        assertEquals((int) LocalDate.of(-43, 3, 15).toEpochDay(), FidelityConverter.epochDay(LocalDate.of(-43, 3, 15)));
        assertNull(FidelityConverter.epochDay(null));
    }

    @Test
    void registersOnlyBitVaryingAndDateColumns() {
        FidelityConverter c = new FidelityConverter();
        for (String type : new String[] {"varbit", "date", "bit", "timetz", "text"}) {
            Schema[] got = new Schema[1];
            c.converterFor(column(type), (CustomConverter.ConverterRegistration<SchemaBuilder>) (schema, fn) -> got[0] = schema.build());
            switch (type) {
                case "varbit" -> assertEquals(Schema.Type.STRING, got[0].type());
                case "date" -> {
                    assertEquals(Schema.Type.INT32, got[0].type());
                    assertEquals(FidelityConverter.DATE, got[0].name());
                }
                default -> assertNull(got[0], type + " keeps Debezium's own conversion");
            }
        }
    }

    private static RelationalColumn column(String type) {
        return new RelationalColumn() {
            public String name() { return "c"; }
            public String dataCollection() { return "public.t"; }
            public int jdbcType() { return 0; }
            public int nativeType() { return 0; }
            public String typeName() { return type; }
            public String typeExpression() { return type; }
            public OptionalInt length() { return OptionalInt.empty(); }
            public OptionalInt scale() { return OptionalInt.empty(); }
            public boolean isOptional() { return true; }
            public Object defaultValue() { return null; }
            public boolean hasDefaultValue() { return false; }
        };
    }
}

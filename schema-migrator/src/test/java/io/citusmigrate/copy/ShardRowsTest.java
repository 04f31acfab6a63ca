package io.citusmigrate.copy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShardRowsTest {
    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aTextRowsHashIsItsFirstFieldAndTheRestIsTheRowByteForByte() {
        byte[] row = text("-1905060026\t42\tcaf\u00e9\t\\N\t{a,b}\n");
        assertEquals(-1905060026, ShardRows.textHash(row));
        int rest = ShardRows.textRest(row);
        assertEquals("42\tcaf\u00e9\t\\N\t{a,b}\n", new String(row, rest, row.length - rest, StandardCharsets.UTF_8));
        assertEquals(Integer.MIN_VALUE, ShardRows.textHash(text("-2147483648\tx\n")));
        assertEquals(Integer.MAX_VALUE, ShardRows.textHash(text("2147483647\tx\n")));
        assertEquals(0, ShardRows.textHash(text("0\tx\n")));
    }

    @Test
    void aRowWithoutAHashIsAnErrorThatShowsNoData() {
        for (String bad : new String[] {"\\N\tsecret\n", "\tsecret\n", "12", "2147483648\tsecret\n", "12a\tsecret\n", "-\tsecret\n"}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShardRows.textHash(text(bad)), bad);
            assertEquals(-1, e.getMessage().indexOf("secret"));
        }
    }

    /** A binary tuple: field count, then each field as length and bytes. */
    private static byte[] tuple(int hash, byte[]... fields) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(b);
        try {
            d.writeShort(fields.length + 1);
            d.writeInt(4);
            d.writeInt(hash);
            for (byte[] f : fields) {
                if (f == null) d.writeInt(-1);
                else {
                    d.writeInt(f.length);
                    d.write(f);
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return b.toByteArray();
    }

    @Test
    void aBinaryTupleLosesItsFirstFieldAndItsFieldCountOne() {
        byte[] t = tuple(-7, text("ab"), null, new byte[] {0, 0, 0, 42});
        assertEquals(-7, ShardRows.binaryHash(t, 0));
        ShardRows.Chunk c = new ShardRows.Chunk(4);
        ShardRows.appendBinaryRest(t, 0, c);
        byte[] expected = {0, 3, 0, 0, 0, 2, 'a', 'b', -1, -1, -1, -1, 0, 0, 0, 4, 0, 0, 0, 42};
        assertArrayEquals(expected, Arrays.copyOf(c.bytes(), c.size()));
    }

    @Test
    void theFirstBinaryMessageCarriesTheHeaderBeforeItsTuple() {
        byte[] t = tuple(123456, text("x"));
        byte[] m = new byte[ShardRows.BINARY_HEADER.length + t.length];
        System.arraycopy(ShardRows.BINARY_HEADER, 0, m, 0, ShardRows.BINARY_HEADER.length);
        System.arraycopy(t, 0, m, ShardRows.BINARY_HEADER.length, t.length);
        int start = CopyRows.rowStart(m, true);
        assertEquals(19, start);
        assertEquals(123456, ShardRows.binaryHash(m, start));
        assertEquals(-1, CopyRows.rowStart(ShardRows.BINARY_TRAILER, true), "the trailer is no row");
    }

    @Test
    void aBinaryTupleWithANullHashIsAnError() {
        byte[] t = {0, 2, -1, -1, -1, -1, 0, 0, 0, 1, 'x'};
        assertThrows(IllegalStateException.class, () -> ShardRows.binaryHash(t, 0));
    }

    @Test
    void aChunkGrowsForARowLargerThanItself() {
        ShardRows.Chunk c = new ShardRows.Chunk(2);
        c.add(text("hello"), 1, 3);
        c.add((byte) 1, (byte) 2);
        assertArrayEquals(new byte[] {'e', 'l', 'l', 1, 2}, Arrays.copyOf(c.bytes(), c.size()));
    }
}

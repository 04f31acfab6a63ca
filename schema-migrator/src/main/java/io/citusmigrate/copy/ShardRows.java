package io.citusmigrate.copy;

/**
 * Reads the shard hash the source put first in each COPY row, and writes the row without it,
 * byte for byte otherwise (no Java object per field). In text format a row is one line whose
 * first field is the hash in decimal; in binary format a tuple's first field is the hash as a
 * 4-byte int4 and its field count says one more than the target's columns.
 */
final class ShardRows {
    /** The signature, flags and header extension length binary COPY input starts with; then tuples; then the trailer. */
    static final byte[] BINARY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static final byte[] BINARY_TRAILER = {(byte) 0xFF, (byte) 0xFF};

    private ShardRows() {}

    /** The hash of a text row (its first field). */
    static int textHash(byte[] row) {
        int i = 0;
        boolean negative = row.length > 0 && row[0] == '-';
        if (negative) i++;
        long v = 0;
        int digits = 0;
        for (; i < row.length && row[i] != '\t'; i++) {
            int d = row[i] - '0';
            if (d < 0 || d > 9 || ++digits > 10) throw noHash();
            v = v * 10 + d;
        }
        if (digits == 0 || i == row.length) throw noHash();
        v = negative ? -v : v;
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw noHash();
        return (int) v;
    }

    /** Where the row's own fields start in a text row: after the hash and its tab. */
    static int textRest(byte[] row) {
        int i = 0;
        while (row[i] != '\t') i++;
        return i + 1;
    }

    /** The hash of the binary tuple starting at {@code start} (see {@link CopyRows#rowStart}). */
    static int binaryHash(byte[] m, int start) {
        int len = readInt(m, start + 2);
        if (len != 4 || m.length < start + 10) throw noHash();
        return readInt(m, start + 6);
    }

    /** Appends the binary tuple at {@code start} without its first field: the field count one less, then the other fields. */
    static void appendBinaryRest(byte[] m, int start, Chunk to) {
        int fields = ((m[start] & 0xff) << 8 | (m[start + 1] & 0xff)) - 1;
        to.add((byte) (fields >>> 8), (byte) fields);
        to.add(m, start + 10, m.length - start - 10);
    }

    private static int readInt(byte[] m, int at) {
        return (m[at] & 0xff) << 24 | (m[at + 1] & 0xff) << 16 | (m[at + 2] & 0xff) << 8 | (m[at + 3] & 0xff);
    }

    /** Never the row's values in the message: they are data. */
    private static IllegalStateException noHash() {
        return new IllegalStateException("a row came without its shard hash (a NULL tenant key?)");
    }

    /** A growing byte buffer for one shard's next COPY. */
    static final class Chunk {
        private byte[] bytes;
        private int size;

        Chunk(int capacity) {
            bytes = new byte[capacity];
        }

        /** A chunk over a used buffer: its old contents are overwritten. */
        Chunk(byte[] reused) {
            bytes = reused;
        }

        void add(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        void add(byte a, byte b) {
            ensure(2);
            bytes[size++] = a;
            bytes[size++] = b;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }

        int size() {
            return size;
        }

        byte[] bytes() {
            return bytes;
        }
    }
}

package io.citusmigrate.copy;

/**
 * Which COPY messages are rows. In text format every message is one row. In binary format the
 * stream opens with a header (signature, flags, extension) and closes with a -1 field count;
 * a message holds one tuple, and the first may hold the header too.
 */
public final class CopyRows {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private CopyRows() {}

    /** Whether the message holds a row (rows are counted as they pass). */
    public static boolean isRow(byte[] m, boolean binary) {
        return rowStart(m, binary) >= 0;
    }

    /** Where the row starts in the message, or -1 when the message holds no row. */
    static int rowStart(byte[] m, boolean binary) {
        if (!binary) return 0;
        int start = 0;
        if (m.length >= 19 && startsWithSignature(m)) {
            int ext = ((m[15] & 0xff) << 24) | ((m[16] & 0xff) << 16) | ((m[17] & 0xff) << 8) | (m[18] & 0xff);
            start = 19 + ext;
        }
        if (m.length - start < 2) return -1;
        if (m.length - start == 2 && m[start] == (byte) 0xFF && m[start + 1] == (byte) 0xFF) return -1; // the trailer
        return start;
    }

    private static boolean startsWithSignature(byte[] m) {
        for (int i = 0; i < SIGNATURE.length; i++) if (m[i] != SIGNATURE[i]) return false;
        return true;
    }
}

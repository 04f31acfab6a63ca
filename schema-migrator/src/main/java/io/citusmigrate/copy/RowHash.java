package io.citusmigrate.copy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A fast 64-bit hash of one COPY row's bytes. Summed over a table (wrapping), it is an
 * order-independent checksum: the rows read from the source during the copy against the rows
 * the target gives back.
 */
public final class RowHash {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private RowHash() {}

    public static long of(byte[] b, int len) {
        return of(b, 0, len);
    }

    public static long of(byte[] b, int from, int to) {
        int len = to - from;
        long h = P1 ^ len;
        int i = from;
        int end = to;
        for (; i + 8 <= end; i += 8) {
            long k = (long) LONG.get(b, i) * P2;
            h ^= Long.rotateLeft(k, 31) * P1;
            h = Long.rotateLeft(h, 27) * 5 + 0x52DCE729L;
        }
        for (; i < end; i++) {
            h ^= (b[i] & 0xffL) * P1;
            h = Long.rotateLeft(h, 11) * P2;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}

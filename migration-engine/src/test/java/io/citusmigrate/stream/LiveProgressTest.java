package io.citusmigrate.stream;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The catch-up estimate `status` shows and `cutover` weighs against --max-lag. */
class LiveProgressTest {
    private static LiveProgress.Status status(long lagBytes, double lagSeconds, double bytesPerSecond, double pace) {
        return new LiveProgress.Status("s", "streaming", 1000, 500, lagBytes, lagSeconds, bytesPerSecond, pace, Map.of(), 0);
    }

    @Test
    void theCatchUpGoesBySecondsOfTheSourcesWritesNotByWalBytes() {
        // 40 s behind, applying 0.8 s of the source's writes a second: 50 s, whatever the WAL bytes say (80 MB at 8 MB/s: 10 s)
        assertEquals(50.0, status(80_000_000, 40, 8_000_000, 0.8).catchUpSeconds(), 1e-9);
    }

    @Test
    void withoutAPaceYetTheWalBytesGiveTheEstimate() {
        assertEquals(40.0, status(80_000_000, 40, 2_000_000, 0).catchUpSeconds(), 1e-9);
    }

    @Test
    void aStreamNotBehindHasNothingToCatchUpAndOneThatAppliesNothingCannotBeEstimated() {
        assertEquals(0.0, status(0, 0, 0, 0).catchUpSeconds());
        assertTrue(Double.isInfinite(status(80_000_000, 40, 0, 0).catchUpSeconds()));
        // a few seconds behind before any pace is known: about that long
        assertEquals(2.1, status(144, 2.1, 0, 0).catchUpSeconds(), 1e-9);
    }
}

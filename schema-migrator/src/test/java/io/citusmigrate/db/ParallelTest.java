package io.citusmigrate.db;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParallelTest {
    @Test
    void theBiggestItemsBeginFirstAndResultsComeInItemOrder() {
        List<Integer> begun = new CopyOnWriteArrayList<>();
        List<String> results = Parallel.map(List.of(3, 50, 1, 50, 7), 1, Integer::longValue, n -> {
            begun.add(n);
            return "r" + n;
        });
        assertEquals(List.of(50, 50, 7, 3, 1), begun);
        assertEquals(List.of("r3", "r50", "r1", "r50", "r7"), results);
    }
}

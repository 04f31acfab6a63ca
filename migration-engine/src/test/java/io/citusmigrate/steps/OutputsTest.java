package io.citusmigrate.steps;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What steps hand on: read by type, made once, a missing one named; and the steps' times. */
class OutputsTest {
    record Made(int n) {}

    record NeverMade() {}

    @Test
    void anOutputIsReadByItsType() {
        Outputs out = new Outputs();
        out.add(new Made(3));
        assertEquals(new Made(3), out.get(Made.class));
        assertTrue(out.find(NeverMade.class).isEmpty());
    }

    @Test
    void anOutputNoEarlierStepMadeIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Outputs().get(NeverMade.class));
        assertTrue(e.getMessage().contains("NeverMade"), e.getMessage());
    }

    @Test
    void anOutputHandedOnTwiceIsAPipelineBuiltWrong() {
        Outputs out = new Outputs();
        out.add(new Made(1));
        assertThrows(IllegalStateException.class, () -> out.add(new Made(2)));
        assertEquals(new Made(1), out.get(Made.class));
    }

    @Test
    void theStepsTimesAreKeptInOrderAndNotChangedAfter() {
        Outputs out = new Outputs();
        out.timed(StepName.SCHEMA, 1.5);
        Timings before = out.timings();
        out.timed(StepName.DATA, 2.0);
        assertEquals(List.of(new Timings.Timing(StepName.SCHEMA, 1.5)), before.steps());
        assertEquals(List.of(StepName.SCHEMA, StepName.DATA), out.timings().steps().stream().map(Timings.Timing::step).toList());
        assertThrows(UnsupportedOperationException.class, () -> out.timings().steps().clear());
    }
}

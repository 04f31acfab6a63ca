package io.citusmigrate.steps;

import java.util.ArrayList;
import java.util.List;

/**
 * How long each step of a run took, in the order they ran: kept by the runner, not by a step,
 * and read by the report. Immutable; a step's time makes a new one.
 */
record Timings(List<Timing> steps) {
    /** One step's time. */
    record Timing(StepName step, double seconds) {}

    Timings {
        steps = List.copyOf(steps);
    }

    static Timings none() {
        return new Timings(List.of());
    }

    /** These and one more step's time. */
    Timings and(StepName step, double seconds) {
        List<Timing> more = new ArrayList<>(steps);
        more.add(new Timing(step, seconds));
        return new Timings(more);
    }
}

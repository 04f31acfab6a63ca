package io.citusmigrate.steps;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the steps of one run have handed on so far, by type: each output is an immutable record
 * made by one step, handed on once, and read by the steps after it. A step that needs an output
 * no earlier step of its pipeline made fails saying which, instead of reading an empty field.
 */
final class Outputs {
    private final Map<Class<?>, Object> made = new LinkedHashMap<>();

    /** Hands on a step's output; a second one of the same type is a pipeline built wrong. */
    void add(Object output) {
        if (made.putIfAbsent(output.getClass(), output) != null) {
            throw new IllegalStateException(output.getClass().getSimpleName() + " handed on twice in one run");
        }
    }

    /** The output an earlier step must have handed on. */
    <T> T get(Class<T> type) {
        return find(type).orElseThrow(() -> new IllegalStateException(
                "no earlier step handed on " + type.getSimpleName() + ": the pipeline is built wrong"));
    }

    /** The output, where an earlier step of this pipeline made one. */
    <T> Optional<T> find(Class<T> type) {
        return Optional.ofNullable(made.get(type)).map(type::cast);
    }
}

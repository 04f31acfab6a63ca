package io.citusmigrate.catalog;

/** A trigger with its {@code pg_get_triggerdef} definition. */
public record Trigger(String name, String definition) {}

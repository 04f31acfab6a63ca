package io.citusmigrate.steps;

/**
 * The migration's steps, by the names the timings, the progress records on the target, the crash
 * points ("start NAME", "end NAME"), the tests and the docs use. One place for them all.
 */
public enum StepName {
    PLAN("plan"),
    PUBLICATION("publication"),
    SNAPSHOT("snapshot and orphan check"),
    SCHEMA("schema"),
    EXISTING_TABLES("existing tables"),
    DATA("data"),
    KEYS("keys, indexes and foreign keys"),
    INDEXES("indexes"),
    SEQUENCES("sequences"),
    VERIFICATION("verification"),
    AFTER_LOAD("after load"),
    REPORT("report"),
    BULK_LOAD_RECORD("bulk-load record"),
    STREAM("streaming and cutover"),
    AFTER_CUTOVER("after the cutover"),
    DEBEZIUM_SNAPSHOT("snapshot through Debezium");

    private final String label;

    StepName(String label) {
        this.label = label;
    }

    /** As the timings, the records and the docs say it. */
    public String label() {
        return label;
    }

    /** The crash point as the step begins. */
    public String start() {
        return "start " + label;
    }

    /** The crash point once it has run. */
    public String end() {
        return "end " + label;
    }
}

package io.citusmigrate.sink;

/** The version from the jar's manifest, or "development" when run from classes. */
final class Version {
    private Version() {}

    static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}

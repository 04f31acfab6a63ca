package io.citusmigrate.copy;

/** What the bulk load did to one table. read = written + rejected, always. */
public record TableResult(String table, long read, long written, long rejected, long bytes, double seconds) {}

package io.citusmigrate.copy;

/**
 * What the bulk load did to one table. read = written + rejected, always. {@code checksum} is
 * the sum of {@link RowHash} over the rows written, as read from the source.
 */
public record TableResult(String table, long read, long written, long rejected, long bytes, double seconds, long checksum) {}

package io.citusmigrate.copy;

import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A table's row count and the sum of a 64-bit hash of each row: equal sums mean equal rows,
 * whatever their order. Both sides compute it on their own server (see {@link Projection}).
 */
public record Checksum(long rows, BigInteger sum) {
    public static final Checksum NONE = new Checksum(0, BigInteger.ZERO);

    /** Reads {@code count(*), sum(hash)} from the first row. */
    public static Checksum read(ResultSet rs) throws SQLException {
        rs.next();
        return new Checksum(rs.getLong(1), rs.getBigDecimal(2).toBigIntegerExact());
    }

    public Checksum minus(Checksum other) {
        return new Checksum(rows - other.rows, sum.subtract(other.sum));
    }
}

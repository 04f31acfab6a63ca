package io.citusmigrate.copy;

import java.sql.Connection;
import java.sql.SQLException;

/** Notes a copied range on the target, in the transaction that wrote its rows (before its commit). */
@FunctionalInterface
public interface RangeRecorder {
    void copied(Connection target, String table, String range, long rows) throws SQLException;
}

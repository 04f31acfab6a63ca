package io.citusmigrate.sink;

/** The final state of one row in a batch: its last change, and whether every change of it was an insert. */
final class PendingRow {
    ChangeEvent last;
    boolean insertOnly = true;
}

package io.citusmigrate.copy;

/** Where the bulk load reports how far it is; the command line draws bars or prints lines. */
public interface Progress {
    void start(String table, long expectedRows);

    void advance(String table, long rows, long bytes);

    void finish(String table);

    Progress NONE = new Progress() {
        @Override
        public void start(String table, long expectedRows) { }

        @Override
        public void advance(String table, long rows, long bytes) { }

        @Override
        public void finish(String table) { }
    };
}

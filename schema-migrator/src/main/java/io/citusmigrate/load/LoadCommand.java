package io.citusmigrate.load;

import java.util.List;

/** A parsed {@code LOAD DATABASE} command file. */
public record LoadCommand(
        String file,
        ConnectionUrl source,
        ConnectionUrl target,
        Options options,
        List<Setting> settings,
        List<SqlBlock> beforeLoad,
        List<SqlBlock> afterCreateSchema,
        List<SqlBlock> afterLoad,
        List<CastRule> casts,
        List<TableFilter> including,
        List<TableFilter> excluding,
        List<SchemaRename> schemaRenames,
        List<AlterTableRule> alterTables,
        List<DistributeRule> distribute,
        List<Warning> warnings) {

    /** {@code SET name TO 'value'}: a session setting for target connections. */
    /** The same command with other options (a step that acts on the command line's mode as if the file said it). */
    public LoadCommand withOptions(Options o) {
        return new LoadCommand(file, source, target, o, settings, beforeLoad, afterCreateSchema, afterLoad, casts, including, excluding,
                schemaRenames, alterTables, distribute, warnings);
    }

    /** The same command reading another source database (a tenant database of the source's server). */
    public LoadCommand withSource(ConnectionUrl other) {
        return new LoadCommand(file, other, target, options, settings, beforeLoad, afterCreateSchema, afterLoad, casts, including, excluding,
                schemaRenames, alterTables, distribute, warnings);
    }

    /** The same command writing into another target (the same database, reached with other credentials). */
    public LoadCommand withTarget(ConnectionUrl other) {
        return new LoadCommand(file, source, other, options, settings, beforeLoad, afterCreateSchema, afterLoad, casts, including, excluding,
                schemaRenames, alterTables, distribute, warnings);
    }

    public record Setting(String name, String value, Position at) {}

    /** One SQL text of a BEFORE LOAD / AFTER CREATE SCHEMA / AFTER LOAD clause. */
    public record SqlBlock(String sql, Position at) {}

    /** A warning about the file, such as an option that has no effect yet. */
    public record Warning(Position at, String message) {
        @Override
        public String toString() {
            return at + ": warning: " + message;
        }
    }

    /** INCLUDING ONLY / EXCLUDING TABLE NAMES MATCHING ..., optionally IN SCHEMA. */
    public record TableFilter(List<NamePattern> patterns, String schema, Position at) {
        public boolean matches(String tableSchema, String table) {
            if (schema != null && !schema.equals(tableSchema)) return false;
            return patterns.stream().anyMatch(p -> p.matches(table));
        }
    }

    /** ALTER SCHEMA 'a' RENAME TO 'b'. */
    public record SchemaRename(String from, String to, Position at) {}

    /** ALTER TABLE NAMES MATCHING ... [IN SCHEMA] SET SCHEMA / RENAME TO / SET (...) / SET TABLESPACE. */
    public record AlterTableRule(List<NamePattern> patterns, String schema, Action action, String value,
                                 java.util.Map<String, String> storageParams, Position at) {
        public enum Action { SET_SCHEMA, RENAME, SET_PARAMS, SET_TABLESPACE }

        public boolean matches(String tableSchema, String table) {
            if (schema != null && !schema.equals(tableSchema)) return false;
            return patterns.stream().anyMatch(p -> p.matches(table));
        }
    }
}

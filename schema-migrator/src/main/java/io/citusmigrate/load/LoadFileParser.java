package io.citusmigrate.load;

import io.citusmigrate.UserError;
import io.citusmigrate.load.LoadCommand.AlterTableRule;
import io.citusmigrate.load.LoadCommand.SchemaRename;
import io.citusmigrate.load.LoadCommand.Setting;
import io.citusmigrate.load.LoadCommand.SqlBlock;
import io.citusmigrate.load.LoadCommand.TableFilter;
import io.citusmigrate.load.LoadCommand.Warning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.PatternSyntaxException;

/** Parses pgloader's {@code LOAD DATABASE} language, with citus-migrate's additions. */
public final class LoadFileParser {
    private static final Set<String> CLAUSE_STARTS = Set.of(
            "with", "set", "before", "after", "cast", "including", "excluding", "alter", "distribute");

    private final Lexer lx;
    private final Path baseDir;
    private final Function<String, String> env;
    private final List<Warning> warnings = new ArrayList<>();

    private LoadFileParser(Source src, Path baseDir, Function<String, String> env) {
        this.lx = new Lexer(src);
        this.baseDir = baseDir;
        this.env = env;
    }

    public static LoadCommand parse(Path file) {
        return parse(file, System::getenv);
    }

    public static LoadCommand parse(Path file, Function<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new io.citusmigrate.BadInput("cannot read command file " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
        Path dir = file.toAbsolutePath().getParent();
        return new LoadFileParser(Source.of(file.toString(), text, env), dir, env).command(file.toString());
    }

    private static final java.util.regex.Pattern URL_PASSWORD = java.util.regex.Pattern.compile(
            "(?i)((?:pgsql|postgres|postgresql)://[^\\s:@/'\"]*):[^\\s'\"/]*@");
    private static final java.util.regex.Pattern PARAM_PASSWORD = java.util.regex.Pattern.compile("(?i)([?&]password=)[^&\\s'\"]*");

    /**
     * A command file's text with its {{NAME}} templates filled in and every password taken out of
     * its URLs: what may be handed to another process (a Connect worker's sink) that has the
     * passwords of its own. {@link #parse(String, String, Function)} reads it back.
     */
    public static String textWithoutPasswords(Path file, Function<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new io.citusmigrate.BadInput("cannot read command file " + file + ": " + e.getMessage());
        }
        String filled = Source.of(file.toString(), text, env).text;
        return PARAM_PASSWORD.matcher(URL_PASSWORD.matcher(filled).replaceAll("$1@")).replaceAll("$1");
    }

    public static LoadCommand parse(String name, String text, Function<String, String> env) {
        return new LoadFileParser(Source.of(name, text, env), Path.of("."), env).command(name);
    }

    private LoadCommand command(String file) {
        expectWord("load");
        expectWord("database");
        expectWord("from");
        ConnectionUrl source = url();
        expectWord("into");
        ConnectionUrl target = url();

        Map<Option, Object> options = new EnumMap<>(Option.class);
        List<Setting> settings = new ArrayList<>();
        List<SqlBlock> before = new ArrayList<>();
        List<SqlBlock> afterSchema = new ArrayList<>();
        List<SqlBlock> afterLoad = new ArrayList<>();
        List<CastRule> casts = new ArrayList<>();
        List<TableFilter> including = new ArrayList<>();
        List<TableFilter> excluding = new ArrayList<>();
        List<SchemaRename> renames = new ArrayList<>();
        List<AlterTableRule> alters = new ArrayList<>();
        List<DistributeRule> distribute = new ArrayList<>();

        while (true) {
            Token t = lx.peek();
            if (t.kind() == Token.Kind.EOF) break;
            if (t.isPunct(";")) {
                lx.next();
                Token after = lx.peek();
                if (after.kind() != Token.Kind.EOF) throw lx.error(after.offset(), "unexpected " + after.describe() + " after the closing ';'");
                break;
            }
            if (t.kind() != Token.Kind.WORD) throw lx.error(t.offset(), "expected a clause (WITH, SET, CAST, DISTRIBUTE, ...), found " + t.describe());
            switch (t.text().toLowerCase(Locale.ROOT)) {
                case "with" -> {
                    lx.next();
                    do {
                        option(options);
                    } while (acceptPunct(","));
                }
                case "set" -> {
                    lx.next();
                    if (lx.peek().isWord("postgresql")) {
                        lx.next();
                        expectWord("parameters");
                    }
                    do {
                        settings.add(setting());
                    } while (acceptPunct(","));
                }
                case "before" -> {
                    lx.next();
                    expectWord("load");
                    before.addAll(sqlBlocks());
                }
                case "after" -> {
                    lx.next();
                    if (acceptWord("create")) {
                        expectWord("schema");
                        afterSchema.addAll(sqlBlocks());
                    } else {
                        expectWord("load");
                        afterLoad.addAll(sqlBlocks());
                    }
                }
                case "cast" -> {
                    lx.next();
                    do {
                        casts.add(castRule());
                    } while (acceptPunct(","));
                }
                case "including" -> {
                    Token start = lx.next();
                    expectWord("only");
                    including.add(tableFilter(start));
                }
                case "excluding" -> excluding.add(tableFilter(lx.next()));
                case "alter" -> {
                    Token start = lx.next();
                    if (acceptWord("schema")) {
                        String from = string("a schema name");
                        expectWord("rename");
                        expectWord("to");
                        renames.add(new SchemaRename(from, string("a schema name"), lx.position(start.offset())));
                    } else {
                        expectWord("table");
                        alters.add(alterTable(start));
                    }
                }
                case "distribute" -> distribute.add(distributeRule(lx.next()));
                default -> throw lx.error(t.offset(), "unknown clause '" + t.text() + "': expected WITH, SET, BEFORE LOAD, AFTER CREATE SCHEMA, AFTER LOAD, CAST, INCLUDING, EXCLUDING, ALTER or DISTRIBUTE");
            }
        }
        dataOnlyOptions(options);
        return new LoadCommand(file, source, target, new Options(options), settings, before, afterSchema, afterLoad,
                casts, including, excluding, renames, alters, distribute, List.copyOf(warnings));
    }

    // ---- pieces -------------------------------------------------------------------------

    private ConnectionUrl url() {
        Token t = lx.raw();
        if (t.text().isEmpty()) throw lx.error(t.offset(), "expected a connection URL");
        try {
            return ConnectionUrl.parse(t.text(), env);
        } catch (IllegalArgumentException e) {
            throw lx.error(t.offset(), "bad connection URL: " + e.getMessage());
        }
    }

    /** Where each option was written, for what is said of options together. */
    private final Map<Option, Integer> optionAt = new java.util.EnumMap<>(Option.class);

    /** `data only` against `schema only`; `drop indexes`, `reindex` and `disable triggers` act only with `data only`. */
    private void dataOnlyOptions(Map<Option, Object> options) {
        boolean dataOnly = Boolean.TRUE.equals(options.get(Option.DATA_ONLY));
        if (dataOnly && Boolean.TRUE.equals(options.get(Option.SCHEMA_ONLY))) {
            throw lx.error(optionAt.get(Option.DATA_ONLY), "`data only` and `schema only` together leave nothing to do: keep one");
        }
        if (dataOnly) return;
        for (Option o : List.of(Option.DROP_INDEXES, Option.REINDEX, Option.DISABLE_TRIGGERS)) {
            if (Boolean.TRUE.equals(options.get(o))) {
                warnings.add(new Warning(lx.position(optionAt.get(o)), "option '" + o.label() + "' means nothing here without `data only`:"
                        + (o == Option.DISABLE_TRIGGERS ? " the target has no triggers while it loads (they are created after the data), so none fire"
                        : " this run creates the tables and builds their keys and indexes after the data")));
            }
        }
    }

    private void option(Map<Option, Object> options) {
        Token first = lx.peek();
        if (first.kind() != Token.Kind.WORD) throw lx.error(first.offset(), "expected an option, found " + first.describe());
        List<String> words = new ArrayList<>();
        Option.Phrase match = null;
        while (lx.peek().kind() == Token.Kind.WORD) {
            List<String> attempt = new ArrayList<>(words);
            attempt.add(lx.peek().text().toLowerCase(Locale.ROOT));
            if (Option.PHRASES.stream().noneMatch(p -> startsWith(p.words(), attempt))) break;
            lx.next();
            words = attempt;
            List<String> now = words;
            match = Option.PHRASES.stream().filter(p -> p.words().equals(now)).findFirst().orElse(null);
        }
        if (match == null) {
            StringBuilder shown = new StringBuilder(String.join(" ", words));
            while (lx.peek().kind() == Token.Kind.WORD) shown.append(shown.length() > 0 ? " " : "").append(lx.next().text());
            throw lx.error(first.offset(), "unknown option '" + shown.toString().trim() + "'");
        }
        Option o = match.option();
        optionAt.put(o, first.offset());
        Object value = match.value();
        if (value == null) {
            expectPunct("=");
            value = optionValue(o);
        }
        if (!o.implemented) {
            if (o.refused() != null && !(o == Option.ON_ERROR && "stop".equals(value))) {
                throw lx.error(first.offset(), "option '" + match.text() + "' is refused: " + o.refused());
            }
            if (o.meansNothing() != null) {
                warnings.add(new Warning(lx.position(first.offset()), "option '" + match.text() + "' means nothing here: " + o.meansNothing()));
            }
        }
        options.put(o, value);
    }

    private Object optionValue(Option o) {
        Token v = lx.next();
        switch (o.kind) {
            case INT -> {
                if (v.kind() != Token.Kind.NUMBER || v.text().contains(".")) throw lx.error(v.offset(), o.label() + " needs a whole number, found " + v.describe());
                try {
                    int n = Integer.parseInt(v.text());
                    if (n <= 0) throw new NumberFormatException();
                    return n;
                } catch (NumberFormatException e) {
                    throw lx.error(v.offset(), o.label() + " needs a positive whole number, found " + v.text());
                }
            }
            case SIZE -> {
                if (v.kind() != Token.Kind.NUMBER) throw lx.error(v.offset(), o.label() + " needs a size such as 64 MB, found " + v.describe());
                double n = Double.parseDouble(v.text());
                long unit = 1;
                Token u = lx.peek();
                if (u.kind() == Token.Kind.WORD) {
                    unit = switch (u.text().toLowerCase(Locale.ROOT)) {
                        case "b" -> 1L;
                        case "kb" -> 1L << 10;
                        case "mb" -> 1L << 20;
                        case "gb" -> 1L << 30;
                        default -> throw lx.error(u.offset(), "unknown size unit '" + u.text() + "': use kB, MB or GB");
                    };
                    lx.next();
                }
                return (long) (n * unit);
            }
            default -> {
                if (v.kind() != Token.Kind.STRING && v.kind() != Token.Kind.WORD) {
                    throw lx.error(v.offset(), o.label() + " needs a quoted value, found " + v.describe());
                }
                if (o == Option.SNAPSHOT_METHOD && !v.text().equals("copy") && !v.text().equals("debezium")) {
                    throw lx.error(v.offset(), "snapshot method is 'copy' or 'debezium', not '" + v.text() + "'");
                }
                return v.text();
            }
        }
    }

    private static boolean startsWith(List<String> full, List<String> prefix) {
        return full.size() >= prefix.size() && full.subList(0, prefix.size()).equals(prefix);
    }

    private Setting setting() {
        Token name = lx.next();
        if (name.kind() != Token.Kind.WORD && name.kind() != Token.Kind.QUOTED_IDENT) throw lx.error(name.offset(), "expected a setting name, found " + name.describe());
        StringBuilder n = new StringBuilder(name.text());
        while (acceptPunct(".")) n.append('.').append(lx.next().text());
        if (!acceptWord("to")) expectPunct("=");
        Token v = lx.next();
        if (v.kind() != Token.Kind.STRING && v.kind() != Token.Kind.NUMBER && v.kind() != Token.Kind.WORD) {
            throw lx.error(v.offset(), "expected a quoted value for " + n + ", found " + v.describe());
        }
        return new Setting(n.toString().toLowerCase(Locale.ROOT), v.text(), lx.position(name.offset()));
    }

    private List<SqlBlock> sqlBlocks() {
        List<SqlBlock> out = new ArrayList<>();
        if (acceptWord("execute")) {
            do {
                Token f = lx.next();
                if (f.kind() != Token.Kind.STRING) throw lx.error(f.offset(), "expected a quoted file name after EXECUTE");
                Path p = baseDir.resolve(f.text());
                try {
                    out.add(new SqlBlock(Files.readString(p), lx.position(f.offset())));
                } catch (IOException e) {
                    throw lx.error(f.offset(), "cannot read SQL file " + p + ": " + e.getMessage());
                }
            } while (acceptPunct(","));
            return out;
        }
        expectWord("do");
        do {
            Token b = lx.next();
            if (b.kind() != Token.Kind.DOLLAR) throw lx.error(b.offset(), "expected an SQL block in $$ ... $$, found " + b.describe());
            out.add(new SqlBlock(b.text(), lx.position(b.offset())));
        } while (acceptPunct(","));
        return out;
    }

    private CastRule castRule() {
        Token start = lx.next();
        Position at = lx.position(start.offset());
        String sourceType = null;
        String whenDefault = null;
        boolean autoIncrement = false;
        TableRef table = null;
        String column = null;
        if (start.isWord("type")) {
            sourceType = typeName(true);
            while (true) {
                if (acceptWord("when")) {
                    expectWord("default");
                    whenDefault = string("a default value");
                } else if (lx.peek().isWord("with")) {
                    lx.next();
                    expectWord("extra");
                    Token e = lx.next();
                    if (!e.isWord("auto_increment")) throw lx.error(e.offset(), "expected auto_increment after WITH EXTRA");
                    autoIncrement = true;
                } else {
                    break;
                }
            }
        } else if (start.isWord("column")) {
            List<Token> parts = new ArrayList<>();
            parts.add(identToken());
            while (acceptPunct(".")) parts.add(identToken());
            if (parts.size() < 2 || parts.size() > 3) {
                throw lx.error(parts.get(0).offset(), "a column cast names table.column or schema.table.column");
            }
            Token c = parts.get(parts.size() - 1);
            Token tbl = parts.get(parts.size() - 2);
            table = new TableRef(parts.size() == 3 ? ident(parts.get(0)) : null, ident(tbl), lx.position(parts.get(0).offset()));
            column = ident(c);
        } else {
            throw lx.error(start.offset(), "a cast rule starts with TYPE or COLUMN, found " + start.describe());
        }
        expectWord("to");
        String target = typeName(false);
        Set<CastRule.Flag> flags = EnumSet.noneOf(CastRule.Flag.class);
        String using = null;
        while (true) {
            Token t = lx.peek();
            if (t.isWord("drop") || t.isWord("keep") || t.isWord("set")) {
                if (t.isWord("set") && !lx.peekSecond().isWord("not")) break; // a SET clause follows
                lx.next();
                String verb = t.text().toUpperCase(Locale.ROOT);
                Token what = lx.next();
                String flag;
                if (what.isWord("default")) flag = verb + "_DEFAULT";
                else if (what.isWord("typemod")) flag = verb + "_TYPEMOD";
                else if (what.isWord("not")) {
                    expectWord("null");
                    flag = verb + "_NOT_NULL";
                } else throw lx.error(what.offset(), "expected DEFAULT, NOT NULL or TYPEMOD after " + t.text());
                try {
                    flags.add(CastRule.Flag.valueOf(flag));
                } catch (IllegalArgumentException e) {
                    throw lx.error(t.offset(), "unknown cast option '" + t.text() + " " + what.text() + "'");
                }
            } else if (t.isWord("using")) {
                lx.next();
                Token f = lx.next();
                if (f.kind() != Token.Kind.WORD && f.kind() != Token.Kind.STRING) throw lx.error(f.offset(), "expected a transform function after USING");
                using = f.text();
                warnings.add(new Warning(lx.position(t.offset()), "cast option 'using " + using + "' has no effect yet: pgloader's Lisp transforms do not run here; the value is cast by PostgreSQL"));
            } else {
                break;
            }
        }
        return new CastRule(sourceType, whenDefault, autoIncrement, table, column, target, flags, using, at);
    }

    /** A type name: quoted, or words (and a parenthesised modifier) up to a keyword that ends it. */
    private String typeName(boolean sourceSide) {
        Token t = lx.peek();
        if (t.kind() == Token.Kind.QUOTED_IDENT || t.kind() == Token.Kind.STRING) {
            lx.next();
            return t.text();
        }
        StringBuilder b = new StringBuilder();
        int depth = 0;
        while (true) {
            t = lx.peek();
            if (t.kind() == Token.Kind.EOF) break;
            if (depth == 0) {
                if (t.isPunct(",") || t.isPunct(";")) break;
                if (t.kind() == Token.Kind.WORD) {
                    String w = t.text().toLowerCase(Locale.ROOT);
                    boolean timeZone = (w.equals("with") || w.equals("without")) && b.toString().matches("(?i).*\\b(timestamp|time)(\\(\\d+\\))?$");
                    if (!timeZone) {
                        if (sourceSide && (w.equals("when") || w.equals("with") || w.equals("to"))) break;
                        if (!sourceSide && (w.equals("drop") || w.equals("keep") || w.equals("using") || w.equals("set")
                                || CLAUSE_STARTS.contains(w))) break;
                    }
                }
            }
            lx.next();
            if (t.isPunct("(")) depth++;
            if (t.isPunct(")")) depth--;
            boolean glue = t.isPunct("(") || t.isPunct(")") || t.isPunct(",") || t.isPunct(".")
                    || b.isEmpty() || b.charAt(b.length() - 1) == '(' || b.charAt(b.length() - 1) == '.';
            if (!glue) b.append(' ');
            b.append(t.kind() == Token.Kind.QUOTED_IDENT ? "\"" + t.text().replace("\"", "\"\"") + "\""
                    : t.kind() == Token.Kind.WORD ? t.text().toLowerCase(Locale.ROOT) : t.text());
        }
        if (b.isEmpty()) throw lx.error(t.offset(), "expected a type name, found " + t.describe());
        return b.toString();
    }

    private TableFilter tableFilter(Token start) {
        expectWord("table");
        Matching m = namesMatching();
        return new TableFilter(m.patterns(), m.schema(), lx.position(start.offset()));
    }

    /** `names matching PATTERN, ... [in schema 'NAME']`. */
    private record Matching(List<NamePattern> patterns, String schema) {}

    private Matching namesMatching() {
        expectWord("names");
        expectWord("matching");
        List<NamePattern> patterns = patterns();
        String schema = null;
        if (acceptWord("in")) {
            expectWord("schema");
            schema = string("a schema name");
        }
        return new Matching(patterns, schema);
    }

    private List<NamePattern> patterns() {
        List<NamePattern> out = new ArrayList<>();
        do {
            Token p = lx.next();
            if (p.kind() == Token.Kind.STRING) {
                out.add(NamePattern.literal(p.text()));
            } else if (p.kind() == Token.Kind.REGEX) {
                try {
                    out.add(NamePattern.regex(p.text()));
                } catch (PatternSyntaxException e) {
                    throw lx.error(p.offset(), "bad regular expression: " + e.getDescription());
                }
            } else {
                throw lx.error(p.offset(), "expected a pattern ('name' or ~/regex/), found " + p.describe());
            }
        } while (acceptPunct(","));
        return out;
    }

    private AlterTableRule alterTable(Token start) {
        Matching m = namesMatching();
        List<NamePattern> patterns = m.patterns();
        String schema = m.schema();
        Position at = lx.position(start.offset());
        if (acceptWord("rename")) {
            expectWord("to");
            return new AlterTableRule(patterns, schema, AlterTableRule.Action.RENAME, string("a table name"), Map.of(), at);
        }
        expectWord("set");
        if (acceptWord("schema")) {
            return new AlterTableRule(patterns, schema, AlterTableRule.Action.SET_SCHEMA, string("a schema name"), Map.of(), at);
        }
        if (acceptWord("tablespace")) {
            return new AlterTableRule(patterns, schema, AlterTableRule.Action.SET_TABLESPACE, string("a tablespace name"), Map.of(), at);
        }
        expectPunct("(");
        Map<String, String> params = new LinkedHashMap<>();
        do {
            Token k = lx.next();
            if (k.kind() != Token.Kind.WORD && k.kind() != Token.Kind.STRING) throw lx.error(k.offset(), "expected a storage parameter name");
            expectPunct("=");
            Token v = lx.next();
            params.put(k.text().toLowerCase(Locale.ROOT), v.text());
        } while (acceptPunct(","));
        expectPunct(")");
        return new AlterTableRule(patterns, schema, AlterTableRule.Action.SET_PARAMS, null, params, at);
    }

    private DistributeRule distributeRule(Token start) {
        Position at = lx.position(start.offset());
        // `schemas matching`: a table named schemas is still `distribute schemas using ...`
        if (lx.peek().isWord("schemas") && lx.peekSecond().isWord("matching")) {
            lx.next();
            lx.next();
            List<NamePattern> patterns = patterns();
            if (!acceptWord("into")) return DistributeRule.schemas(patterns, at);
            String into = string("a schema name");
            expectWord("using");
            Token col = identToken();
            return DistributeRule.consolidation(patterns, into, ident(col), at, lx.position(col.offset()), false, tenantMap());
        }
        // `databases matching`: one tenant per database of the source's server
        if (lx.peek().isWord("databases") && lx.peekSecond().isWord("matching")) {
            lx.next();
            lx.next();
            List<NamePattern> patterns = patterns();
            expectWord("into");
            String into = string("a schema name (where the tenants table goes)");
            expectWord("using");
            Token col = identToken();
            return DistributeRule.consolidation(patterns, into, ident(col), at, lx.position(col.offset()), true, tenantMap());
        }
        TableRef table = tableRef();
        if (acceptWord("as")) {
            expectWord("reference");
            expectWord("table");
            return new DistributeRule(table, null, List.of(), null, true, at, null);
        }
        expectWord("using");
        Token col = identToken();
        List<TableRef> from = new ArrayList<>();
        if (acceptWord("from")) {
            do {
                from.add(tableRef());
            } while (acceptPunct(","));
        }
        TableRef colocate = null;
        if (acceptWord("colocate")) {
            expectWord("with");
            Token c = lx.peek();
            if (c.kind() == Token.Kind.STRING) {
                lx.next();
                String[] parts = c.text().split("\\.", 2);
                colocate = parts.length == 2 ? new TableRef(parts[0], parts[1], lx.position(c.offset()))
                        : new TableRef(null, parts[0], lx.position(c.offset()));
            } else {
                colocate = tableRef();
            }
        }
        return new DistributeRule(table, ident(col), from, colocate, false, at, lx.position(col.offset()));
    }

    /** A consolidation's optional `from TABLE (NAME_COLUMN, KEY_COLUMN)`: the tenant keys a table of the source gives. */
    private DistributeRule.TenantMap tenantMap() {
        if (!lx.peek().isWord("from")) return null;
        Position at = lx.position(lx.next().offset());
        TableRef table = tableRef();
        expectPunct("(");
        String name = ident(identToken());
        expectPunct(",");
        String key = ident(identToken());
        expectPunct(")");
        return new DistributeRule.TenantMap(table, name, key, at);
    }

    private TableRef tableRef() {
        Token first = identToken();
        if (acceptPunct(".")) {
            Token second = identToken();
            return new TableRef(ident(first), ident(second), lx.position(first.offset()));
        }
        return new TableRef(null, ident(first), lx.position(first.offset()));
    }

    private Token identToken() {
        Token t = lx.next();
        if (t.kind() != Token.Kind.WORD && t.kind() != Token.Kind.QUOTED_IDENT && t.kind() != Token.Kind.STRING) {
            throw lx.error(t.offset(), "expected a name, found " + t.describe());
        }
        return t;
    }

    /** PostgreSQL's rule: unquoted names fold to lower case, quoted ones are kept as written. */
    private static String ident(Token t) {
        return t.kind() == Token.Kind.WORD ? t.text().toLowerCase(Locale.ROOT) : t.text();
    }

    private String string(String what) {
        Token t = lx.next();
        if (t.kind() != Token.Kind.STRING && t.kind() != Token.Kind.QUOTED_IDENT) throw lx.error(t.offset(), "expected " + what + " in quotes, found " + t.describe());
        return t.text();
    }

    private void expectWord(String w) {
        Token t = lx.next();
        if (!t.isWord(w)) throw lx.error(t.offset(), "expected " + w.toUpperCase(Locale.ROOT) + ", found " + t.describe());
    }

    private boolean acceptWord(String w) {
        if (lx.peek().isWord(w)) {
            lx.next();
            return true;
        }
        return false;
    }

    private void expectPunct(String p) {
        Token t = lx.next();
        if (!t.isPunct(p)) throw lx.error(t.offset(), "expected '" + p + "', found " + t.describe());
    }

    private boolean acceptPunct(String p) {
        if (lx.peek().isPunct(p)) {
            lx.next();
            return true;
        }
        return false;
    }
}

package io.citusmigrate.load;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * pgloader's command-line clauses ({@code --with}, {@code --set}, {@code --cast}, {@code --before},
 * {@code --after}): each is parsed by the command file's own grammar, as if it stood in the file,
 * and wins over the file's own (options and settings by name; casts are tried first).
 */
public final class CommandLineClauses {
    /** Enough of a command file for one clause to parse in. */
    private static final String PREFIX = "LOAD DATABASE FROM postgresql:///clause INTO postgresql:///clause ";

    private final List<String> with = new ArrayList<>();
    private final List<String> set = new ArrayList<>();
    private final List<String> cast = new ArrayList<>();
    private final List<LoadCommand.SqlBlock> before = new ArrayList<>();
    private final List<LoadCommand.SqlBlock> after = new ArrayList<>();

    public CommandLineClauses with(List<String> options) {
        with.addAll(options);
        return this;
    }

    public CommandLineClauses set(List<String> settings) {
        set.addAll(settings);
        return this;
    }

    public CommandLineClauses cast(List<String> rules) {
        cast.addAll(rules);
        return this;
    }

    /** SQL run before the load (pgloader's --before FILE), as a BEFORE LOAD DO block would. */
    public CommandLineClauses before(String sql, Position at) {
        before.add(new LoadCommand.SqlBlock(sql, at));
        return this;
    }

    /** SQL run after the load (pgloader's --after FILE), as an AFTER LOAD DO block would. */
    public CommandLineClauses after(String sql, Position at) {
        after.add(new LoadCommand.SqlBlock(sql, at));
        return this;
    }

    public LoadCommand applyTo(LoadCommand c, Function<String, String> env) {
        Options options = c.options();
        List<LoadCommand.Warning> warnings = new ArrayList<>(c.warnings());
        for (String w : with) {
            LoadCommand parsed = clause("--with", "WITH " + w, env);
            warnings.addAll(parsed.warnings());
            for (var e : parsed.options().given().entrySet()) options = options.with(e.getKey(), e.getValue());
        }
        List<LoadCommand.Setting> settings = new ArrayList<>();
        for (String s : set) settings.addAll(clause("--set", "SET " + s, env).settings());
        for (LoadCommand.Setting s : c.settings()) {
            if (settings.stream().noneMatch(x -> x.name().equals(s.name()))) settings.add(s);
        }
        List<CastRule> casts = new ArrayList<>();
        for (String r : cast) casts.addAll(clause("--cast", "CAST " + r, env).casts());
        casts.addAll(c.casts());
        List<LoadCommand.SqlBlock> beforeLoad = new ArrayList<>(c.beforeLoad());
        beforeLoad.addAll(before);
        List<LoadCommand.SqlBlock> afterLoad = new ArrayList<>(c.afterLoad());
        afterLoad.addAll(after);
        return new LoadCommand(c.file(), c.source(), c.target(), options, settings, beforeLoad, c.afterCreateSchema(), afterLoad, casts,
                c.including(), c.excluding(), c.schemaRenames(), c.alterTables(), c.distribute(), warnings);
    }

    private static LoadCommand clause(String flag, String text, Function<String, String> env) {
        return LoadFileParser.parse(flag, PREFIX + text + ";", env);
    }
}

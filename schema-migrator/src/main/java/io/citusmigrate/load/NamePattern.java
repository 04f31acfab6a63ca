package io.citusmigrate.load;

import java.util.regex.Pattern;

/** A table-name pattern: a quoted literal {@code 'name'} or a regular expression {@code ~/re/}. */
public record NamePattern(String literal, Pattern regex) {
    public static NamePattern literal(String s) {
        return new NamePattern(s, null);
    }

    public static NamePattern regex(String re) {
        return new NamePattern(null, Pattern.compile(re));
    }

    public boolean matches(String name) {
        return literal != null ? literal.equals(name) : regex.matcher(name).find();
    }

    @Override
    public String toString() {
        return literal != null ? "'" + literal + "'" : "~/" + regex.pattern() + "/";
    }
}

package io.citusmigrate.load;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of a command file after {{NAME}} templating, with a map back to the places of the
 * original text so that errors point at what the user wrote.
 */
final class Source {
    private static final Pattern VAR = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

    final String file;
    final String text;
    private final String original;
    private final int[] originalOffset; // for each char of text, its offset in the original

    private Source(String file, String original, String text, int[] originalOffset) {
        this.file = file;
        this.original = original;
        this.text = text;
        this.originalOffset = originalOffset;
    }

    static Source of(String file, String original, Function<String, String> env) {
        StringBuilder out = new StringBuilder(original.length());
        int[] map = new int[original.length() + 16];
        int n = 0;
        Matcher m = VAR.matcher(original);
        int last = 0;
        while (m.find()) {
            for (int i = last; i < m.start(); i++) {
                map = ensure(map, n);
                map[n++] = i;
                out.append(original.charAt(i));
            }
            String value = env.apply(m.group(1));
            if (value == null) {
                Source at = new Source(file, original, original, identity(original.length()));
                throw new LoadFileException(at.position(m.start()),
                        "environment variable " + m.group(1) + " is not set (used as {{" + m.group(1) + "}})");
            }
            for (int i = 0; i < value.length(); i++) {
                map = ensure(map, n);
                map[n++] = m.start();
                out.append(value.charAt(i));
            }
            last = m.end();
        }
        for (int i = last; i < original.length(); i++) {
            map = ensure(map, n);
            map[n++] = i;
            out.append(original.charAt(i));
        }
        map = ensure(map, n);
        map[n] = original.length();
        return new Source(file, original, out.toString(), Arrays.copyOf(map, n + 1));
    }

    static Source of(String file, String original) {
        return of(file, original, System::getenv);
    }

    static Source of(String file, String original, Map<String, String> env) {
        return of(file, original, env::get);
    }

    private static int[] ensure(int[] a, int n) {
        return n < a.length ? a : Arrays.copyOf(a, a.length * 2 + 16);
    }

    private static int[] identity(int len) {
        int[] a = new int[len + 1];
        for (int i = 0; i <= len; i++) a[i] = i;
        return a;
    }

    /** The position in the original file of an offset into the templated text. */
    Position position(int offset) {
        int orig = originalOffset[Math.min(Math.max(offset, 0), originalOffset.length - 1)];
        int line = 1;
        int col = 1;
        for (int i = 0; i < orig && i < original.length(); i++) {
            if (original.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new Position(file, line, col);
    }
}

package io.citusmigrate.load;

/** One token of a command file. {@code text} is the token's value (quotes removed, escapes undone). */
record Token(Kind kind, String text, int offset) {
    enum Kind { WORD, QUOTED_IDENT, STRING, DOLLAR, REGEX, NUMBER, PUNCT, EOF }

    boolean isWord(String w) {
        return kind == Kind.WORD && text.equalsIgnoreCase(w);
    }

    boolean isPunct(String p) {
        return kind == Kind.PUNCT && text.equals(p);
    }

    String describe() {
        return switch (kind) {
            case EOF -> "end of file";
            case STRING -> "'" + text + "'";
            case QUOTED_IDENT -> "\"" + text + "\"";
            case DOLLAR -> "$$ block";
            case REGEX -> "~/" + text + "/";
            default -> "'" + text + "'";
        };
    }
}

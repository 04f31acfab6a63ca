package io.citusmigrate.load;

/**
 * Splits a command file into tokens on demand. The parser can also ask for raw text up to the
 * next white space, which is how connection URLs are read.
 */
final class Lexer {
    private final Source src;
    private final String s;
    private int pos;
    private Token peeked;

    Lexer(Source src) {
        this.src = src;
        this.s = src.text;
    }

    Position position(int offset) {
        return src.position(offset);
    }

    LoadFileException error(int offset, String message) {
        return new LoadFileException(src.position(offset), message);
    }

    Token peek() {
        if (peeked == null) peeked = scan();
        return peeked;
    }

    /** The token after the peeked one, without consuming either. */
    Token peekSecond() {
        peek();
        int save = pos;
        Token t = scan();
        pos = save;
        return t;
    }

    Token next() {
        Token t = peek();
        peeked = null;
        return t;
    }

    /** Raw text from the next non-blank character up to white space, ',' or ';' (for URLs). */
    Token raw() {
        if (peeked != null) {
            pos = peeked.offset();
            peeked = null;
        }
        skipBlanks();
        int start = pos;
        boolean quoted = pos < s.length() && (s.charAt(pos) == '\'' || s.charAt(pos) == '"');
        if (quoted) {
            char q = s.charAt(pos++);
            int end = s.indexOf(q, pos);
            if (end < 0) throw error(start, "unterminated quoted URL");
            pos = end + 1;
            return new Token(Token.Kind.STRING, s.substring(start + 1, end), start);
        }
        while (pos < s.length() && !Character.isWhitespace(s.charAt(pos)) && s.charAt(pos) != ';' && s.charAt(pos) != ',') {
            pos++;
        }
        return new Token(Token.Kind.WORD, s.substring(start, pos), start);
    }

    private void skipBlanks() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '-' && pos + 1 < s.length() && s.charAt(pos + 1) == '-') {
                while (pos < s.length() && s.charAt(pos) != '\n') pos++;
            } else if (c == '/' && pos + 1 < s.length() && s.charAt(pos + 1) == '*') {
                int start = pos;
                int end = s.indexOf("*/", pos + 2);
                if (end < 0) throw error(start, "unterminated /* comment");
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private Token scan() {
        skipBlanks();
        int start = pos;
        if (pos >= s.length()) return new Token(Token.Kind.EOF, "", pos);
        char c = s.charAt(pos);
        if (Character.isLetter(c) || c == '_') {
            pos++;
            while (pos < s.length()) {
                char d = s.charAt(pos);
                // pgloader transform names use dashes (zero-dates-to-null)
                boolean dash = d == '-' && pos + 1 < s.length() && Character.isLetter(s.charAt(pos + 1));
                if (Character.isLetterOrDigit(d) || d == '_' || d == '$' || dash) pos++;
                else break;
            }
            return new Token(Token.Kind.WORD, s.substring(start, pos), start);
        }
        if (Character.isDigit(c)) {
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '.')) pos++;
            return new Token(Token.Kind.NUMBER, s.substring(start, pos), start);
        }
        if (c == '\'' || c == '"') {
            return new Token(c == '\'' ? Token.Kind.STRING : Token.Kind.QUOTED_IDENT, quoted(c), start);
        }
        if (c == '$') {
            int tagEnd = s.indexOf('$', pos + 1);
            String tag = tagEnd < 0 ? null : s.substring(pos, tagEnd + 1);
            if (tag == null || !tag.matches("\\$[A-Za-z_0-9]*\\$")) throw error(start, "expected $$ to open an SQL block");
            int bodyStart = tagEnd + 1;
            int end = s.indexOf(tag, bodyStart);
            if (end < 0) throw error(start, "unterminated " + tag + " block: no closing " + tag);
            pos = end + tag.length();
            return new Token(Token.Kind.DOLLAR, s.substring(bodyStart, end), start);
        }
        if (c == '~') {
            if (pos + 1 >= s.length()) throw error(start, "expected a regular expression after ~");
            char open = s.charAt(pos + 1);
            char close = switch (open) {
                case '<' -> '>';
                case '[' -> ']';
                case '{' -> '}';
                case '(' -> ')';
                case '/', '|', '"', '#' -> open;
                default -> throw error(start, "a regular expression opens with one of / < [ { ( | \" #, not '" + open + "'");
            };
            int end = s.indexOf(close, pos + 2);
            if (end < 0) throw error(start, "unterminated regular expression: no closing " + close);
            pos = end + 1;
            return new Token(Token.Kind.REGEX, s.substring(start + 2, end), start);
        }
        if (",;()=.".indexOf(c) >= 0) {
            pos++;
            return new Token(Token.Kind.PUNCT, String.valueOf(c), start);
        }
        throw error(start, "unexpected character '" + c + "'");
    }

    private String quoted(char q) {
        int start = pos;
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= s.length()) {
                throw error(start, "unterminated " + (q == '\'' ? "string" : "quoted name") + ": no closing " + q);
            }
            char c = s.charAt(pos++);
            if (c == q) {
                if (pos < s.length() && s.charAt(pos) == q) {
                    b.append(q);
                    pos++;
                } else {
                    return b.toString();
                }
            } else {
                b.append(c);
            }
        }
    }
}

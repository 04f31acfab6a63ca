package io.citusmigrate.stream;

import io.citusmigrate.UserError;
import io.citusmigrate.load.DistributeRule;
import io.citusmigrate.load.NamePattern;
import io.citusmigrate.sql.Sql;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The schemas a {@code distribute schemas matching} rule takes, as the capture on the source tests
 * them: a tenant schema created while streaming must be captured in the transaction that creates
 * its tables, before the stream can plan it. The source tests with PostgreSQL's regular
 * expressions, the plan with Java's; they agree on the plain forms allowed here, and a pattern
 * beyond them is refused rather than read two ways (a schema one side matches and the other not
 * would lose its rows).
 */
final class CapturedSchemas {
    /** Letters, digits, _, anchors, classes, groups, alternation, repetition, and \d \w \s or an escaped punctuation mark. */
    private static final Pattern PLAIN = Pattern.compile("(?:[A-Za-z0-9_^$.*+?|()\\[\\]{},-]|\\\\[dws.\\-_$^()\\[\\]])*");
    /** Java's own: (?...) groups and flags, possessive quantifiers. */
    private static final Pattern JAVA_ONLY = Pattern.compile("\\(\\?|[*+?}]\\+");

    private CapturedSchemas() {}

    /** {@code OR schema_name ...} for each schema pattern of the rules, or nothing. */
    static String matching(List<DistributeRule> rules) {
        StringBuilder out = new StringBuilder();
        for (DistributeRule r : rules) {
            for (NamePattern p : r.schemas()) {
                if (p.literal() != null) {
                    out.append(" OR schema_name = ").append(Sql.literal(p.literal()));
                    continue;
                }
                String re = p.regex().pattern();
                if (!PLAIN.matcher(re).matches() || JAVA_ONLY.matcher(re).find()) {
                    throw new UserError(r.at() + ": the schema pattern " + p + " goes beyond the plain regular expressions PostgreSQL and"
                            + " this tool read alike, so a tenant schema created while streaming might not be captured. Nothing was changed"
                            + " on the source. Use letters, digits, _, ^ $ . * + ? | ( ) [ ] { } and \\d \\w \\s");
                }
                out.append(" OR schema_name ~ ").append(Sql.literal(re));
            }
        }
        return out.toString();
    }

    /** Whether any rule takes schemas by a pattern: new schemas' tables must get through Debezium's filter too. */
    static boolean any(List<DistributeRule> rules) {
        return rules.stream().anyMatch(r -> r.schemas().stream().anyMatch(p -> p.regex() != null));
    }
}

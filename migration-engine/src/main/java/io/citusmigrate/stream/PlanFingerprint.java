package io.citusmigrate.stream;

import io.citusmigrate.catalog.Column;
import io.citusmigrate.plan.Plan;
import io.citusmigrate.plan.TablePlan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What of a plan a rerun must find as it was, one line per table: its target, kind,
 * distribution column, and columns with their types. A resumed migration whose command file now
 * plans otherwise would stream changes into tables shaped for another plan.
 */
public final class PlanFingerprint {
    private PlanFingerprint() {}

    /** The plan's tables, and the settings a rerun must share with the run it goes on from. */
    public static String of(Plan plan, String settings) {
        return of(plan) + "\n" + SETTINGS + settings;
    }

    private static final String SETTINGS = "(settings): ";

    public static String of(Plan plan) {
        List<String> lines = new ArrayList<>();
        for (TablePlan t : plan.tables()) {
            lines.add(t.target() + ": " + t.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + (t.distributionColumn() == null ? "" : " by " + t.distributionColumn() + (t.tenantColumnAdded() ? " (added)" : ""))
                    + "; " + t.columns().stream().map(PlanFingerprint::column).collect(Collectors.joining(", ")));
        }
        lines.sort(null);
        return String.join("\n", lines);
    }

    private static String column(Column c) {
        return c.name() + " " + c.type().sql();
    }

    /**
     * What changed between two fingerprints, one line each; empty when nothing did. With the
     * command file as it was (its {@code (file)} line, a hash of its text, equal), the plan may
     * differ only by what the source's schema changes made of it, which the stream carries in
     * their place: nothing counts. A command file edited since is compared table by table.
     */
    public static List<String> changes(String was, String now) {
        Map<String, String> before = byTable(was);
        Map<String, String> after = byTable(now);
        String file = before.remove(FILE);
        if (file != null && file.equals(after.remove(FILE))) return List.of();
        after.remove(FILE);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : before.entrySet()) {
            String n = after.get(e.getKey());
            boolean settings = e.getKey().equals("(settings)");
            if (n == null) out.add(settings ? "the settings were " + e.getValue() : "table " + e.getKey() + " is no longer in the plan");
            else if (!n.equals(e.getValue())) out.add((settings ? "the settings were " : "table " + e.getKey() + " was ") + e.getValue() + ", " + (settings ? "are" : "is") + " now " + n);
        }
        for (String t : after.keySet()) if (!before.containsKey(t)) out.add("table " + t + " is new in the plan");
        return out;
    }

    private static final String FILE = "(file)";

    /** The line that names a command file's text, for {@link #of(Plan, String)}'s settings. */
    public static String fileLine(byte[] text) {
        try {
            return "\n" + FILE + ": " + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> byTable(String fingerprint) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : fingerprint.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) m.put(line.substring(0, colon), line.substring(colon + 2));
        }
        return m;
    }
}

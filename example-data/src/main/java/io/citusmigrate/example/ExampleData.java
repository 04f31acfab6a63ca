package io.citusmigrate.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The multi-tenant ad-analytics example (companies -> campaigns -> ads -> clicks, impressions)
 * filled with generated rows: text, jsonb, inet, numeric and array columns, and every
 * {@code orphanEvery}-th click with a NULL ad_id. Scale 1 is about 3M rows.
 */
public final class ExampleData {
    private ExampleData() {}

    public static String schemaSql() {
        try (InputStream in = ExampleData.class.getResourceAsStream("/examples/multitenant-schema.sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public record Counts(long companies, long campaigns, long ads, long clicks, long impressions) {
        public long total() {
            return companies + campaigns + ads + clicks + impressions;
        }
    }

    public static Counts counts(double scale) {
        long companies = Math.max(3, Math.round(100 * scale));
        long campaigns = Math.max(6, Math.round(1_000 * scale));
        long ads = Math.max(12, Math.round(20_000 * scale));
        long clicks = Math.max(50, Math.round(1_500_000 * scale));
        long impressions = Math.max(50, Math.round(1_500_000 * scale));
        return new Counts(companies, campaigns, ads, clicks, impressions);
    }

    /** Creates the schema and fills it; returns how many rows each table got. */
    public static Counts generate(Connection c, double scale, long orphanEvery) throws SQLException {
        Counts n = counts(scale);
        try (Statement s = c.createStatement()) {
            s.execute(schemaSql());
            s.execute("INSERT INTO companies (name, image_url, created_at, updated_at) SELECT 'Company ' || g,"
                    + " 'https://img.example.com/' || g || '.png', timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-06-01'"
                    + " FROM generate_series(1, " + n.companies() + ") g");
            s.execute("INSERT INTO campaigns (company_id, name, cost_model, state, monthly_budget, blacklisted_site_urls, created_at, updated_at)"
                    + " SELECT (g % " + n.companies() + ") + 1, 'Campaign ' || g, CASE WHEN g % 2 = 0 THEN 'cost_per_click' ELSE 'cost_per_impression' END,"
                    + " 'running', 1000 + g, ARRAY['http://bad.example.com/' || g, 'http://worse.example.com/'],"
                    + " timestamp '2024-01-01' + g * interval '1 minute', timestamp '2024-06-01' FROM generate_series(1, " + n.campaigns() + ") g");
            s.execute("INSERT INTO ads (campaign_id, name, image_url, target_url, impressions_count, clicks_count, created_at, updated_at)"
                    + " SELECT (g % " + n.campaigns() + ") + 1, 'Ad ' || g, 'https://img.example.com/ad' || g || '.png',"
                    + " 'https://shop.example.com/p/' || g, g * 7, g * 3, timestamp '2024-01-01' + g * interval '1 second', timestamp '2024-06-01'"
                    + " FROM generate_series(1, " + n.ads() + ") g");
            for (String t : new String[] {"clicks", "impressions"}) {
                String time = t.equals("clicks") ? "clicked_at" : "seen_at";
                String cost = t.equals("clicks") ? "cost_per_click_usd" : "cost_per_impression_usd";
                s.execute("INSERT INTO " + t + " (ad_id, " + time + ", site_url, " + cost + ", user_ip, user_data)"
                        + " SELECT CASE WHEN " + (t.equals("clicks") && orphanEvery > 0 ? "g % " + orphanEvery + " = 0" : "false")
                        + " THEN NULL ELSE (g % " + n.ads() + ") + 1 END,"
                        + " timestamp '2024-03-01' + g * interval '1 second', 'https://site' || (g % 997) || '.example.com/page',"
                        + " ((g % 10007) / 10007.0)::numeric(20,10), '10.0.0.0'::inet + (g % 16777216),"
                        + " jsonb_build_object('is_mobile', g % 3 = 0, 'location', 'City ' || (g % 311), 'session', md5(g::text))"
                        + " FROM generate_series(1, " + (t.equals("clicks") ? n.clicks() : n.impressions()) + ") g");
            }
            s.execute("ANALYZE");
        }
        return n;
    }
}

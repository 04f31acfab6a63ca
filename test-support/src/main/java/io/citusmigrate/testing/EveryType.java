package io.citusmigrate.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A table holding every built-in type and the common extension types, with edge values
 * (NaN, infinities, BC dates, extremes, empty and multi-dimensional arrays, NULLs), for the
 * type round-trip tests: through the sink alone and through a live migration.
 */
public final class EveryType {
    private EveryType() {}

    public static final String COLUMNS = "id, tenant_id, n, n2, m, ts, tstz, d, t, ttz, iv, u, j, jb, x, ia, ta, b, ip, cidr_, mac, bits, vbits,"
            + " e, dom, r, tr, h, l, f8, f4, bool_, c, vc, i2, i8, txt, ia2, ea, pt, ln, ls, bx, pa, po, ci, mr, tsv, tsq, lsn, ci_, iv2, cp, dm";

    /** Creates tenant (1, 2) and types (rows 1 to 3) in the current database. */
    public static final String SCHEMA = """
                create extension hstore; create extension ltree; create extension citext;
                create type mood as enum ('sad', 'ok', 'happy');
                create domain posint as int check (value > 0);
                create type pair as (a int, b text); create domain cash as money;
                create table tenant (id int primary key);
                create table types (id int primary key, tenant_id int not null references tenant,
                  n numeric, n2 numeric(12,4), m money, ts timestamp, tstz timestamptz, d date, t time, ttz timetz, iv interval,
                  u uuid, j json, jb jsonb, x xml, ia int[], ta text[], b bytea, ip inet, cidr_ cidr, mac macaddr, bits bit(5),
                  vbits varbit(8), e mood, dom posint, r int4range, tr tstzrange, h hstore, l ltree, f8 float8, f4 real,
                  bool_ boolean, c char(3), vc varchar(10), i2 smallint, i8 bigint, txt text, ia2 int[][], ea mood[], pt point,
                  ln line, ls lseg, bx box, pa path, po polygon, ci circle, mr int4multirange, tsv tsvector, tsq tsquery, lsn pg_lsn,
                  ci_ citext, iv2 interval, cp pair, dm cash);
                insert into tenant values (1), (2);
                insert into types values
                 (1, 1, 12345.6789, 12.3456, 1234.56, '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.654321+02', '2024-02-29',
                  '13:14:15.123456', '13:14:15.5+05:30', '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                  '{"a": [1, 2.5, "x"]}', '{"b": {"c": null}}', '<r a="1">x &amp; y</r>', '{1,2,NULL,4}',
                  '{"plain","with space","quote\\"d","back\\\\slash","",NULL,"comma,here","{brace}"}', '\\x00ff10', '192.168.1.5/24',
                  '10.0.0.0/8', '08:00:2b:01:02:03', B'10110', B'0011', 'happy', 7, '[1,10)', '[2024-01-01 00:00+00,2024-06-01 00:00+00)',
                  'a=>1, "b c"=>"d\\"e", f=>NULL', 'top.science.astronomy', 1.5e300, 3.25, true, 'ab', 'tab	and', -32768,
                  9223372036854775807, E'line\\nbreak\\ttab \\\\ backslash ünïcödé', '{{1,2},{3,NULL}}', '{happy,sad}', '(1.5,-2)',
                  '{1,-1,0.5}', '[(0,0),(1e300,-1e-300)]', '(1,1),(0,0)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(2,0))', '<(1,2),0.1>',
                  '{[1,3), [5,9)}', 'a fat cat:1A sat', 'fat & (rat | cat)', '16/B374D848', 'MiXeD Case', '-178000000 years', '(1,"x y")', '92233720368547758.07'),
                 (2, 2, 'NaN', -0.0001, -5.00, 'infinity', '-infinity', '0044-03-15 BC', '00:00:00', '23:59:59.999999-12',
                  '-1 days 00:00:00.000001', '00000000-0000-0000-0000-000000000000', '[]', '[]', '<x/>', '{}', '{}', '\\x', '::1',
                  '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'00000', B'1', 'sad', 1, 'empty', '(,)', '', '', 'NaN', '-Infinity', false, 'x  ',
                  '', 0, -9223372036854775808, '', '{{{1},{2}},{{3},{4}}}', '{}', '(0,0)', '{0,1,0}', '[(0,0),(0,0)]',
                  '(0,0),(0,0)', '((0,0))', '((1,1))', '<(0,0),0>', '{}', '', '1', '0/0', '', '1 year -2 days 03:00:00.000001', '(,)', '-1'),
                 (3, 1, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
                update types set m = '92233720368547758.07' where id = 1;
                update types set m = '-92233720368547758.08' where id = 2;
                """;

    /** Changes to make while streaming: every row again under other keys, updates of the hardest columns, two rows moving tenant. */
    public static final List<String> CHANGES = List.of(
            "insert into types select id + 10, " + COLUMNS.substring(COLUMNS.indexOf(',') + 1) + " from types",
            "update types set txt = txt || '!' where id = 12",
            "update types set ia2 = '{{5,6},{7,8}}', pt = '(3,4.25)', bx = '(2,2),(1,1)', mr = '{[2,4)}', m = '92233720368547758.06',"
                    + " ttz = '01:02:03+04:30', cp = '(2,\"z\")' where id = 11",
            // rows that move to the other tenant: written anew under it, every value carried
            "update types set tenant_id = 3 - tenant_id where id in (11, 12)");

    /** Each value of each row, as "row ID column=TEXT", in UTC, ordered by id. */
    public static List<String> rows(Connection c, String schema) throws SQLException {
        List<String> out = new ArrayList<>();
        try (c; Statement s = c.createStatement()) {
            s.execute("set timezone = 'UTC'");
            String[] cols = COLUMNS.split(",\\s*");
            StringBuilder q = new StringBuilder("select ");
            for (int i = 0; i < cols.length; i++) q.append(i > 0 ? ", " : "").append(cols[i]).append("::text");
            try (ResultSet rs = s.executeQuery(q + " from \"" + schema + "\".types order by id")) {
                while (rs.next()) {
                    for (int i = 0; i < cols.length; i++) out.add("row " + rs.getString(1) + " " + cols[i] + "=" + rs.getString(i + 1));
                }
            }
        }
        return out;
    }

    /** The values that differ, "source ... / target ...". */
    public static List<String> differences(List<String> source, List<String> target) {
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < Math.max(source.size(), target.size()); i++) {
            String a = i < source.size() ? source.get(i) : null;
            String b = i < target.size() ? target.get(i) : null;
            if (a == null || !a.equals(b)) diffs.add("source " + a + " / target " + b);
        }
        return diffs;
    }
}

-- Views and materialized views with the relations their rules read ({schema, name} pairs), and a
-- materialized view's indexes.
SELECT n.nspname, c.relname, c.relkind::text AS relkind, pg_get_viewdef(c.oid, true) AS definition,
       ARRAY(SELECT DISTINCT ARRAY[rn.nspname::text, rc.relname::text]
               FROM pg_rewrite r
               JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                               AND d.refclassid = 'pg_class'::regclass
               JOIN pg_class rc ON rc.oid = d.refobjid
               JOIN pg_namespace rn ON rn.oid = rc.relnamespace
              WHERE r.ev_class = c.oid AND d.refobjid <> c.oid) AS depends_on,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.indexrelid) AS indexes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend x
                    WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
 ORDER BY c.oid

-- Ordinary and partitioned tables (and partitions) of user schemas, not owned by extensions.
SELECT c.oid, n.nspname, c.relname,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       pn.nspname AS parent_schema, pc.relname AS parent_name,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       obj_description(c.oid, 'pg_class') AS comment,
       -- never analyzed (-1, or 0 before PostgreSQL 14): guessed from its size, at 100 bytes a row
       (CASE WHEN c.reltuples > 0 THEN c.reltuples WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) / 100 ELSE 0 END)::bigint AS estimated_rows,
       c.relpersistence = 'u' AS unlogged
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
  LEFT JOIN pg_class pc ON pc.oid = i.inhparent
  LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY n.nspname, c.relname

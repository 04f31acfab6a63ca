-- Extended statistics (CREATE STATISTICS) on tables, as PostgreSQL renders them.
SELECT n.nspname, s.stxname, tn.nspname AS table_schema, c.relname AS table_name, pg_get_statisticsobjdef(s.oid) AS definition
  FROM pg_statistic_ext s
  JOIN pg_namespace n ON n.oid = s.stxnamespace
  JOIN pg_class c ON c.oid = s.stxrelid
  JOIN pg_namespace tn ON tn.oid = c.relnamespace
 WHERE tn.nspname NOT IN ('pg_catalog', 'information_schema') AND tn.nspname NOT LIKE 'pg\_%'
 ORDER BY s.oid

-- Row-level security policies: command (r, a, w, d or * for ALL), permissive or restrictive,
-- roles (NULL for PUBLIC), expressions, and whether an expression holds a subquery (Citus
-- rejects those on distributed tables).
SELECT n.nspname, c.relname, p.polname, p.polcmd::text AS polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN NULL ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) r) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr,
       COALESCE(p.polqual::text LIKE '%{SUBLINK %', false) OR COALESCE(p.polwithcheck::text LIKE '%{SUBLINK %', false) AS has_subquery
  FROM pg_policy p
  JOIN pg_class c ON c.oid = p.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY n.nspname, c.relname, p.polname

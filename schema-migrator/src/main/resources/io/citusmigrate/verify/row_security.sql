-- One table's (?: its name) row-level security: its flags, then each policy as the plan
-- renders it (command, permissive, roles, expressions). Read with search_path = pg_catalog so
-- that expressions name their objects in full.
SELECT 'row level security ' || CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END
       || CASE WHEN c.relforcerowsecurity THEN ', forced' ELSE '' END AS item
  FROM pg_class c
 WHERE c.oid = to_regclass(?)
UNION ALL
SELECT 'policy ' || quote_ident(p.polname) || ' ' || p.polcmd::text || CASE WHEN p.polpermissive THEN '' ELSE ' restrictive' END
       || ' to ' || array_to_string(ARRAY(SELECT x.name FROM (SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END AS name
                                                             FROM unnest(p.polroles) r) x
                                           ORDER BY x.name COLLATE "C"), ', ')
       || COALESCE(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
       || COALESCE(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
  FROM pg_policy p
 WHERE p.polrelid = to_regclass(?)
 ORDER BY 1

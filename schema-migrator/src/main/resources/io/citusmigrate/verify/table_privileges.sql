-- The privileges on one table (?: its name) and on its columns, as "grantee privilege [column]
-- [WITH GRANT OPTION]". The owner's and superusers' entries are left out: the two sides' owners
-- may differ (the migrating user), and superusers may do everything anyway.
SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END || ' ' || x.privilege_type
       || CASE WHEN x.column_name IS NULL THEN '' ELSE ' (' || quote_ident(x.column_name) || ')' END
       || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END AS privilege
  FROM (SELECT c.relowner, e.grantee, e.privilege_type, e.is_grantable, NULL::name AS column_name
          FROM pg_class c, aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) e
         WHERE c.oid = to_regclass(?)
        UNION ALL
        SELECT c.relowner, e.grantee, e.privilege_type, e.is_grantable, a.attname
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         CROSS JOIN aclexplode(a.attacl) e
         WHERE c.oid = to_regclass(?)) x
 WHERE x.grantee <> x.relowner
   AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = x.grantee AND r.rolsuper)
 ORDER BY 1

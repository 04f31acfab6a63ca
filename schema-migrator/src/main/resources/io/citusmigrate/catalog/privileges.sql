-- Privileges on the schemas, tables, views, their columns, sequences, types and routines of user
-- schemas: each object's ACL against its default (acldefault), as pg_dump compares them, so
-- that both grants beyond the default and revocations of it (EXECUTE from PUBLIC) are seen.
-- An object whose ACL was never changed has none (a column's default is no privilege at all). The owner's own entries are left out: they
-- follow the owner. `grantee` is NULL for PUBLIC. The grantor is not kept.
WITH objects AS (
    SELECT 'schema' AS kind, n.nspname AS schema, NULL::name AS name, NULL::text AS args, NULL::name AS column_name,
           n.nspowner AS owner, n.nspacl AS acl, acldefault('n', n.nspowner) AS dflt
      FROM pg_namespace n
     WHERE n.nspacl IS NOT NULL
       -- public too: its USAGE for PUBLIC must follow it when the command file renames it
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend x
                        WHERE x.classid = 'pg_namespace'::regclass AND x.objid = n.oid AND x.deptype = 'e')
    UNION ALL
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, n.nspname, c.relname, NULL, NULL,
           c.relowner, c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend x
                        WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
    UNION ALL
    SELECT 'column', n.nspname, c.relname, NULL, a.attname, c.relowner, a.attacl, NULL::aclitem[]
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend x
                        WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')
    UNION ALL
    SELECT 'type', n.nspname, t.typname, NULL, NULL, t.typowner, t.typacl, acldefault('T', t.typowner)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE t.typacl IS NOT NULL AND t.typtype IN ('c', 'd', 'e', 'r')
       AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend x
                        WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e')
    UNION ALL
    SELECT 'routine', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), NULL,
           p.proowner, p.proacl, acldefault('f', p.proowner)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE p.proacl IS NOT NULL
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend x
                        WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'e')
)
SELECT o.kind, o.schema, o.name, o.args, o.column_name, e.is_grant,
       CASE WHEN e.grantee = 0 THEN NULL ELSE pg_get_userbyid(e.grantee) END AS grantee,
       e.privilege_type, e.is_grantable
  FROM objects o
 CROSS JOIN LATERAL (
        SELECT true AS is_grant, x.grantee, x.privilege_type, x.is_grantable
          FROM aclexplode(o.acl) x
         WHERE NOT EXISTS (SELECT 1 FROM aclexplode(o.dflt) y
                            WHERE y.grantee = x.grantee AND y.privilege_type = x.privilege_type
                              AND y.is_grantable = x.is_grantable)
        UNION ALL
        SELECT false, y.grantee, y.privilege_type, false
          FROM aclexplode(o.dflt) y
         WHERE NOT EXISTS (SELECT 1 FROM aclexplode(o.acl) x
                            WHERE x.grantee = y.grantee AND x.privilege_type = y.privilege_type)) e
 WHERE e.grantee <> o.owner
 ORDER BY o.kind, o.schema, o.name, o.args, o.column_name, e.is_grant, 7, e.privilege_type

-- ALTER DEFAULT PRIVILEGES of this database. For a schema (`schema` set) the entries add to the
-- built-in defaults; a database-wide entry replaces them, so it is compared with acldefault
-- (grants beyond it, revocations of it). `grantee` is NULL for PUBLIC. Object types: r tables,
-- S sequences, f routines, T types, n schemas.
SELECT pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema, d.defaclobjtype::text AS objtype,
       e.is_grant, CASE WHEN e.grantee = 0 THEN NULL ELSE pg_get_userbyid(e.grantee) END AS grantee,
       e.privilege_type, e.is_grantable
  FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
 CROSS JOIN LATERAL (
        SELECT CASE d.defaclobjtype WHEN 'r' THEN 'r' WHEN 'S' THEN 's' WHEN 'f' THEN 'f' WHEN 'T' THEN 'T' ELSE 'n' END::"char" AS t) k
 CROSS JOIN LATERAL (
        SELECT true AS is_grant, x.grantee, x.privilege_type, x.is_grantable
          FROM aclexplode(d.defaclacl) x
         WHERE d.defaclnamespace <> 0
            OR NOT EXISTS (SELECT 1 FROM aclexplode(acldefault(k.t, d.defaclrole)) y
                            WHERE y.grantee = x.grantee AND y.privilege_type = x.privilege_type
                              AND y.is_grantable = x.is_grantable)
        UNION ALL
        SELECT false, y.grantee, y.privilege_type, false
          FROM aclexplode(acldefault(k.t, d.defaclrole)) y
         WHERE d.defaclnamespace = 0
           AND NOT EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) x
                            WHERE x.grantee = y.grantee AND x.privilege_type = y.privilege_type)) e
 ORDER BY 1, 2, 3, 4, 5, 6

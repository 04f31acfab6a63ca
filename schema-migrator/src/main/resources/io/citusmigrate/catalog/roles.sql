-- The cluster's roles (not PostgreSQL's own pg_* roles) and the roles each is a member of. No
-- password is read.
SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolinherit, r.rolbypassrls,
       ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
              WHERE m.member = r.oid ORDER BY g.rolname) AS member_of
  FROM pg_roles r
 WHERE r.rolname NOT LIKE 'pg\_%'
 ORDER BY r.rolname

-- Extensions the source uses (their types may appear in columns).
SELECT e.extname, n.nspname
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname NOT IN ('plpgsql', 'citus', 'citus_columnar')
 ORDER BY e.extname

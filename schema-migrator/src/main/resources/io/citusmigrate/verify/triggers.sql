-- The triggers of one table (?: its name), as "trigger name"; Citus's own (internal) ones left out.
SELECT 'trigger ' || quote_ident(t.tgname)
  FROM pg_trigger t
 WHERE t.tgrelid = ?::regclass AND NOT t.tgisinternal
 ORDER BY 1

-- User triggers (not constraint triggers, not clones on partitions, not citus-migrate's own on a live migration's source).
SELECT t.tgrelid, t.tgname, pg_get_triggerdef(t.oid) AS definition
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND t.tgname NOT LIKE 'citus\_migrate\_%'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY t.tgrelid, t.tgname

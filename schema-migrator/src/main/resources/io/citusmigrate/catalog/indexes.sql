-- Indexes that do not back a constraint; an index a partition inherits is left to its parent.
SELECT i.indrelid, ic.relname AS index_name, i.indisunique, am.amname,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS key_defs,
       ARRAY(SELECT CASE WHEN opc.opcdefault THEN '' ELSE quote_ident(opn.nspname) || '.' || quote_ident(opc.opcname) END
               FROM unnest(i.indclass::oid[]) WITH ORDINALITY u(opc_oid, k)
               JOIN pg_opclass opc ON opc.oid = u.opc_oid
               JOIN pg_namespace opn ON opn.oid = opc.opcnamespace ORDER BY u.k) AS opclasses,
       ARRAY(SELECT o::int FROM unnest(i.indoption::int2[]) WITH ORDINALITY u(o, k) ORDER BY u.k) AS options,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, k)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum
              WHERE u.k <= i.indnkeyatts ORDER BY u.k) AS key_columns,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k) AS include_defs,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       /*NULLSNOTDISTINCT*/ AS nulls_not_distinct,
       pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid AND c.relkind IN ('r', 'p')
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = ic.relam
 WHERE NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
   AND NOT EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid)
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY i.indrelid, ic.relname

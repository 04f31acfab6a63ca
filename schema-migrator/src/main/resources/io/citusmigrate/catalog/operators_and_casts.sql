-- Operators and casts of user schemas, not owned by extensions, in creation order, as CREATE and
-- DROP statements; `schemas` are the schemas they touch (an operator's own; a cast's types and
-- function), by which the plan takes those of the schemas it migrates.
SELECT 'operator' AS kind, o.oid,
       quote_ident(n.nspname) || '.' || o.oprname || '(' || coalesce(format_type(NULLIF(o.oprleft, 0), NULL), 'NONE') || ', '
           || coalesce(format_type(NULLIF(o.oprright, 0), NULL), 'NONE') || ')' AS name,
       'CREATE OPERATOR ' || quote_ident(n.nspname) || '.' || o.oprname || ' (' || concat_ws(', ',
           'FUNCTION = ' || o.oprcode::regproc::text,
           'LEFTARG = ' || format_type(NULLIF(o.oprleft, 0), NULL),
           'RIGHTARG = ' || format_type(NULLIF(o.oprright, 0), NULL),
           'COMMUTATOR = OPERATOR(' || quote_ident(cn.nspname) || '.' || c.oprname || ')',
           'NEGATOR = OPERATOR(' || quote_ident(nn.nspname) || '.' || ng.oprname || ')',
           'RESTRICT = ' || NULLIF(o.oprrest, 0)::regproc::text,
           'JOIN = ' || NULLIF(o.oprjoin, 0)::regproc::text,
           CASE WHEN o.oprcanhash THEN 'HASHES' END,
           CASE WHEN o.oprcanmerge THEN 'MERGES' END) || ')' AS definition,
       'DROP OPERATOR IF EXISTS ' || quote_ident(n.nspname) || '.' || o.oprname || ' ('
           || coalesce(format_type(NULLIF(o.oprleft, 0), NULL), 'NONE') || ', '
           || coalesce(format_type(NULLIF(o.oprright, 0), NULL), 'NONE') || ')' AS drop_statement,
       ARRAY[n.nspname::text] AS schemas
  FROM pg_operator o
  JOIN pg_namespace n ON n.oid = o.oprnamespace
  LEFT JOIN pg_operator c ON c.oid = NULLIF(o.oprcom, 0)
  LEFT JOIN pg_namespace cn ON cn.oid = c.oprnamespace
  LEFT JOIN pg_operator ng ON ng.oid = NULLIF(o.oprnegate, 0)
  LEFT JOIN pg_namespace nn ON nn.oid = ng.oprnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend x
                    WHERE x.classid = 'pg_operator'::regclass AND x.objid = o.oid AND x.deptype = 'e')
UNION ALL
SELECT 'cast', c.oid,
       '(' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')',
       'CREATE CAST (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ') '
           || CASE c.castmethod WHEN 'f' THEN 'WITH FUNCTION ' || c.castfunc::regprocedure::text
                                WHEN 'i' THEN 'WITH INOUT' ELSE 'WITHOUT FUNCTION' END
           || CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END,
       'DROP CAST IF EXISTS (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')',
       ARRAY(SELECT x.nspname::text FROM pg_namespace x WHERE x.oid IN (st.typnamespace, tt.typnamespace, p.pronamespace))
  FROM pg_cast c
  JOIN pg_type st ON st.oid = c.castsource
  JOIN pg_type tt ON tt.oid = c.casttarget
  LEFT JOIN pg_proc p ON p.oid = c.castfunc
 WHERE c.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_depend x
                    WHERE x.classid = 'pg_cast'::regclass AND x.objid = c.oid AND x.deptype = 'e')
 ORDER BY 2

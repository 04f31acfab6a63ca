-- Functions, procedures and aggregates of user schemas, not owned by extensions, in creation
-- order. `definition` is the CREATE OR REPLACE text (pg_get_functiondef; for an aggregate, built
-- from pg_aggregate as pg_dump does). `late`: the routine needs a table to exist (a table's row
-- type in its signature, or a SQL-standard body reading a table), itself or through an
-- aggregate's support function, so it is created after the tables.
SELECT p.oid, n.nspname, p.proname, p.prokind::text AS prokind, l.lanname,
       pg_get_function_identity_arguments(p.oid) AS identity_args,
       CASE WHEN p.prokind = 'a' THEN
           'CREATE OR REPLACE AGGREGATE ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
           || '(' || CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_get_function_arguments(p.oid) END || ') ('
           || concat_ws(', ',
                'SFUNC = ' || a.aggtransfn::regproc::text,
                'STYPE = ' || format_type(a.aggtranstype, NULL),
                'SSPACE = ' || NULLIF(a.aggtransspace, 0),
                'FINALFUNC = ' || NULLIF(a.aggfinalfn, 0)::regproc::text,
                CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
                CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC_MODIFY = '
                     || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
                'COMBINEFUNC = ' || NULLIF(a.aggcombinefn, 0)::regproc::text,
                'SERIALFUNC = ' || NULLIF(a.aggserialfn, 0)::regproc::text,
                'DESERIALFUNC = ' || NULLIF(a.aggdeserialfn, 0)::regproc::text,
                'INITCOND = ' || quote_literal(a.agginitval),
                'MSFUNC = ' || NULLIF(a.aggmtransfn, 0)::regproc::text,
                'MINVFUNC = ' || NULLIF(a.aggminvtransfn, 0)::regproc::text,
                'MSTYPE = ' || format_type(NULLIF(a.aggmtranstype, 0), NULL),
                'MSSPACE = ' || NULLIF(a.aggmtransspace, 0),
                'MFINALFUNC = ' || NULLIF(a.aggmfinalfn, 0)::regproc::text,
                CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
                'MINITCOND = ' || quote_literal(a.aggminitval),
                'SORTOP = OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')',
                CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END,
                'PARALLEL = ' || CASE p.proparallel WHEN 's' THEN 'SAFE' WHEN 'r' THEN 'RESTRICTED' ELSE 'UNSAFE' END)
           || ')'
       ELSE pg_get_functiondef(p.oid) END AS definition,
       EXISTS (SELECT 1
                 FROM pg_depend d
                 LEFT JOIN pg_type t ON d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid
                 LEFT JOIN pg_type te ON te.oid = t.typelem
                 LEFT JOIN pg_class tc ON tc.oid = COALESCE(NULLIF(t.typrelid, 0), te.typrelid)
                WHERE d.classid = 'pg_proc'::regclass
                  AND (d.objid = p.oid
                       OR d.objid IN (SELECT s.refobjid FROM pg_depend s
                                       WHERE s.classid = 'pg_proc'::regclass AND s.objid = p.oid
                                         AND s.refclassid = 'pg_proc'::regclass))
                  AND (d.refclassid = 'pg_class'::regclass OR tc.relkind IN ('r', 'p', 'v', 'm', 'f'))) AS late
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
  LEFT JOIN pg_operator op ON op.oid = a.aggsortop
  LEFT JOIN pg_namespace opn ON opn.oid = op.oprnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend x
                    WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'e')
   -- citus-migrate's own on the source (a live migration's partition TRUNCATE and schema change capture)
   AND p.proname NOT LIKE 'citus\_migrate\_%'
 ORDER BY p.oid

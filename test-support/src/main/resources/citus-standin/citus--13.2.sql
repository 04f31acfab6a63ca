-- TEST ONLY: a stand-in for Citus 13.2 on plain PostgreSQL (see citus.control).

CREATE SCHEMA citus;

CREATE TABLE citus.dist_standin (
    logicalrelid oid PRIMARY KEY,
    partmethod "char" NOT NULL,          -- 'h' distributed (hash), 'n' reference
    partattnum smallint,
    colocationid int NOT NULL
);

CREATE VIEW public.citus_tables AS
SELECT d.logicalrelid::regclass AS table_name,
       CASE d.partmethod WHEN 'h' THEN 'distributed' ELSE 'reference' END AS citus_table_type,
       CASE WHEN d.partmethod = 'h' THEN a.attname::text ELSE '<none>' END AS distribution_column,
       d.colocationid AS colocation_id,
       c.relowner::regrole::name AS table_owner,
       CASE d.partmethod WHEN 'h' THEN 32 ELSE 1 END AS shard_count
  FROM citus.dist_standin d
  JOIN pg_class c ON c.oid = d.logicalrelid
  LEFT JOIN pg_attribute a ON a.attrelid = d.logicalrelid AND a.attnum = d.partattnum;

CREATE FUNCTION pg_catalog.citus_version() RETURNS text LANGUAGE sql
AS $$ SELECT 'Citus 13.2 stand-in (test only, distributes nothing)'::text $$;

-- Citus rejects NULL in the distribution column and changes of it.
CREATE FUNCTION citus.standin_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF to_jsonb(NEW) -> col IS NULL OR to_jsonb(NEW) -> col = 'null'::jsonb THEN
            RAISE EXCEPTION 'cannot perform an INSERT with NULL in the partition column';
        END IF;
    ELSIF (to_jsonb(NEW) -> col) IS DISTINCT FROM (to_jsonb(OLD) -> col) THEN
        RAISE EXCEPTION 'modifying the partition value of rows is not allowed';
    END IF;
    RETURN NEW;
END $$;

-- Checks one table against the rules; raises Citus's errors.
CREATE FUNCTION citus.standin_validate(rel oid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    me citus.dist_standin;
    other citus.dist_standin;
    r record;
    relname text := (SELECT c.relname FROM pg_class c WHERE c.oid = rel);
    i int;
    j int;
BEGIN
    SELECT * INTO me FROM citus.dist_standin WHERE logicalrelid = rel;
    IF me.partmethod = 'h' THEN
        FOR r IN SELECT con.conkey FROM pg_constraint con WHERE con.conrelid = rel AND con.contype IN ('p', 'u', 'x') LOOP
            IF NOT (me.partattnum = ANY (r.conkey)) THEN
                RAISE EXCEPTION 'cannot create constraint on "%"', relname
                    USING DETAIL = 'Distributed relations cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not include the partition column (with an equality operator if EXCLUDE).';
            END IF;
        END LOOP;
        FOR r IN SELECT x.indkey::int2[] AS keys FROM pg_index x
                  WHERE x.indrelid = rel AND x.indisunique
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid) LOOP
            IF NOT (me.partattnum = ANY (r.keys)) THEN
                RAISE EXCEPTION 'creating unique indexes on non-partition columns is currently unsupported';
            END IF;
        END LOOP;
    END IF;
    FOR r IN SELECT con.* FROM pg_constraint con
              WHERE con.contype = 'f' AND (con.conrelid = rel OR con.confrelid = rel) LOOP
        SELECT * INTO me FROM citus.dist_standin WHERE logicalrelid = r.conrelid;
        SELECT * INTO other FROM citus.dist_standin WHERE logicalrelid = r.confrelid;
        IF other.partmethod = 'h' THEN
            -- seen on Citus 13.2.2: a plain local table may hold a key to a distributed one
            -- (inline or by ALTER TABLE); a reference table may not
            IF me.partmethod IS NULL THEN
                CONTINUE;
            END IF;
            IF me.partmethod IS DISTINCT FROM 'h' THEN
                RAISE EXCEPTION 'cannot create foreign key constraint since foreign keys from reference tables and local tables to distributed tables are not supported';
            END IF;
            IF me.colocationid <> other.colocationid THEN
                RAISE EXCEPTION 'cannot create foreign key constraint'
                    USING DETAIL = 'Foreign key constraint can only be created on co-located tables.';
            END IF;
            i := array_position(r.conkey, me.partattnum);
            j := array_position(r.confkey, other.partattnum);
            IF i IS NULL OR j IS NULL OR i <> j THEN
                RAISE EXCEPTION 'cannot create foreign key constraint'
                    USING DETAIL = 'Foreign keys are supported in two cases, either in between two colocated tables including partition column in the same ordinal in the both tables or from distributed to reference tables';
            END IF;
            -- the column-list form ON DELETE SET NULL (cols) is rejected as well
            IF r.confdeltype IN ('n', 'd') THEN
                RAISE EXCEPTION 'cannot create foreign key constraint'
                    USING DETAIL = 'SET NULL or SET DEFAULT is not supported in ON DELETE operation when distribution key is included in the foreign key constraint';
            END IF;
            IF r.confupdtype IN ('c', 'n', 'd') THEN
                RAISE EXCEPTION 'cannot create foreign key constraint'
                    USING DETAIL = 'SET NULL, SET DEFAULT or CASCADE is not supported in ON UPDATE operation when distribution key included in the foreign constraint.';
            END IF;
        ELSIF other.partmethod IS NULL AND me.partmethod IS NOT NULL AND r.conrelid <> r.confrelid THEN
            RAISE EXCEPTION 'referenced table "%" must be a distributed table or a reference table',
                (SELECT c.relname FROM pg_class c WHERE c.oid = r.confrelid);
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION citus.standin_check_distributable(rel oid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    rng oid;
BEGIN
    -- seen on Citus 13.2.2: user-defined range types are objects it cannot propagate
    SELECT t.oid INTO rng FROM pg_attribute a
      JOIN pg_type t ON t.oid = CASE WHEN (SELECT typelem FROM pg_type WHERE oid = a.atttypid) <> 0
                                     AND (SELECT typlen FROM pg_type WHERE oid = a.atttypid) = -1
                                     THEN (SELECT typelem FROM pg_type WHERE oid = a.atttypid) ELSE a.atttypid END
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
       AND t.typtype = 'r' AND t.typnamespace <> 'pg_catalog'::regnamespace
     LIMIT 1;
    IF rng IS NOT NULL THEN
        RAISE EXCEPTION '"table %" has dependency on unsupported object "type %"', rel::regclass, rng::regtype;
    END IF;
    IF EXISTS (SELECT 1 FROM citus.dist_standin WHERE logicalrelid = rel) THEN
        RAISE EXCEPTION 'table "%" is already distributed', (SELECT relname FROM pg_class WHERE oid = rel);
    END IF;
    IF coalesce(current_setting('citus.enable_unsafe_triggers', true), 'off') <> 'on'
       AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal
                      AND t.tgname NOT LIKE 'citus\_standin%') THEN
        RAISE EXCEPTION 'cannot distribute relation "%" because it has triggers', (SELECT relname FROM pg_class WHERE oid = rel)
            USING HINT = 'Consider dropping all the triggers on "' || (SELECT relname FROM pg_class WHERE oid = rel)
                         || '" and retry.';
    END IF;
END $$;

CREATE FUNCTION citus.standin_register(rel oid, method "char", attnum smallint, colocation int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    part oid;
BEGIN
    INSERT INTO citus.dist_standin VALUES (rel, method, attnum, colocation);
    -- partitions follow their parent
    FOR part IN SELECT inhrelid FROM pg_inherits WHERE inhparent = rel LOOP
        PERFORM citus.standin_register(part, method, attnum, colocation);
    END LOOP;
END $$;

CREATE FUNCTION pg_catalog.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus.standin_check_distributable(table_name);
    PERFORM citus.standin_register(table_name, 'n', NULL, 1);
    PERFORM citus.standin_validate(table_name);
END $$;

CREATE FUNCTION pg_catalog.create_distributed_table(table_name regclass, distribution_column text,
        distribution_type text DEFAULT 'hash', colocate_with text DEFAULT 'default', shard_count int DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    att record;
    other record;
    colocation int;
    has_null boolean;
    base oid;
BEGIN
    SELECT a.attnum, a.atttypid, c.relname INTO att
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE a.attrelid = table_name AND a.attname = distribution_column AND NOT a.attisdropped AND a.attnum > 0;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', distribution_column,
            (SELECT relname FROM pg_class WHERE oid = table_name);
    END IF;
    PERFORM citus.standin_check_distributable(table_name);
    base := coalesce((SELECT t.typbasetype FROM pg_type t WHERE t.oid = att.atttypid AND t.typtype = 'd'), att.atttypid);
    IF NOT EXISTS (SELECT 1 FROM pg_opclass o JOIN pg_am m ON m.oid = o.opcmethod
                    WHERE m.amname = 'hash' AND o.opcdefault
                      AND (o.opcintype = base OR EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = base
                                                        AND c.casttarget = o.opcintype AND c.castmethod = 'b'))) THEN
        RAISE EXCEPTION 'data type % has no default operator class for specified partition method', format_type(att.atttypid, NULL);
    END IF;
    IF colocate_with = 'none' THEN
        colocation := (SELECT coalesce(max(colocationid), 1) + 1 FROM citus.dist_standin);
    ELSIF colocate_with = 'default' THEN
        SELECT d.colocationid INTO colocation FROM citus.dist_standin d
          JOIN pg_attribute a ON a.attrelid = d.logicalrelid AND a.attnum = d.partattnum
         WHERE d.partmethod = 'h' AND a.atttypid = att.atttypid LIMIT 1;
        IF colocation IS NULL THEN
            colocation := (SELECT coalesce(max(colocationid), 1) + 1 FROM citus.dist_standin);
        END IF;
    ELSE
        SELECT d.colocationid, a.atttypid, c.relname INTO other FROM citus.dist_standin d
          JOIN pg_class c ON c.oid = d.logicalrelid
          JOIN pg_attribute a ON a.attrelid = d.logicalrelid AND a.attnum = d.partattnum
         WHERE d.logicalrelid = colocate_with::regclass AND d.partmethod = 'h';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'relation % is not distributed', colocate_with;
        END IF;
        IF other.atttypid <> att.atttypid THEN
            RAISE EXCEPTION 'cannot colocate tables % and %', other.relname, att.relname
                USING DETAIL = 'Distribution column types don''t match for ' || other.relname || ' and ' || att.relname || '.';
        END IF;
        colocation := other.colocationid;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I IS NULL)', table_name, distribution_column) INTO has_null;
    IF has_null THEN
        RAISE EXCEPTION 'cannot perform an INSERT with NULL in the partition column';
    END IF;
    PERFORM citus.standin_register(table_name, 'h', att.attnum, colocation);
    PERFORM citus.standin_validate(table_name);
    -- a guard function per table, with the column inlined: cheap per row, like Citus's own check
    EXECUTE format($f$CREATE FUNCTION citus.%I() RETURNS trigger LANGUAGE plpgsql AS $g$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.%I IS NULL THEN
                    RAISE EXCEPTION 'cannot perform an INSERT with NULL in the partition column';
                END IF;
            ELSIF NEW.%I IS DISTINCT FROM OLD.%I THEN
                RAISE EXCEPTION 'modifying the partition value of rows is not allowed';
            END IF;
            RETURN NEW;
        END $g$ $f$, 'standin_guard_' || table_name::oid, distribution_column, distribution_column, distribution_column);
    EXECUTE format('CREATE TRIGGER citus_standin_guard BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION citus.%I()',
                   table_name, 'standin_guard_' || table_name::oid);
END $$;

-- DDL after distribution is checked as Citus checks it.
CREATE FUNCTION citus.standin_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
    cmd record;
    rel oid;
BEGIN
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF cmd.classid = 'pg_trigger'::regclass THEN
            SELECT tgrelid INTO rel FROM pg_trigger WHERE oid = cmd.objid AND tgname NOT LIKE 'citus\_standin%';
            IF rel IS NOT NULL AND EXISTS (SELECT 1 FROM citus.dist_standin WHERE logicalrelid = rel)
               AND coalesce(current_setting('citus.enable_unsafe_triggers', true), 'off') <> 'on' THEN
                RAISE EXCEPTION 'triggers are not supported on distributed tables';
            END IF;
        ELSIF cmd.classid = 'pg_class'::regclass AND cmd.command_tag = 'ALTER SEQUENCE' THEN
            -- a sequence a distributed table uses (default or owner) is a distributed sequence
            IF EXISTS (SELECT 1 FROM pg_depend dep
                         LEFT JOIN pg_attrdef ad ON dep.classid = 'pg_attrdef'::regclass AND ad.oid = dep.objid
                         JOIN citus.dist_standin d ON d.logicalrelid = coalesce(ad.adrelid, dep.refobjid)
                        WHERE (dep.classid = 'pg_attrdef'::regclass AND dep.refobjid = cmd.objid)
                           OR (dep.classid = 'pg_class'::regclass AND dep.objid = cmd.objid AND dep.deptype IN ('a', 'i')
                               AND dep.refclassid = 'pg_class'::regclass)) THEN
                RAISE EXCEPTION 'Altering a distributed sequence is currently not supported.';
            END IF;
        ELSIF cmd.classid = 'pg_class'::regclass THEN
            SELECT CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT indrelid FROM pg_index WHERE indexrelid = c.oid) ELSE c.oid END
              INTO rel FROM pg_class c WHERE c.oid = cmd.objid;
            IF rel IS NOT NULL THEN
                PERFORM citus.standin_validate(rel);
            END IF;
        END IF;
    END LOOP;
END $$;

CREATE EVENT TRIGGER citus_standin_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER SEQUENCE', 'CREATE INDEX', 'CREATE TABLE', 'CREATE TRIGGER')
    EXECUTE FUNCTION citus.standin_ddl();

CREATE FUNCTION citus.standin_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM citus.dist_standin d
     USING pg_event_trigger_dropped_objects() o
     WHERE o.classid = 'pg_class'::regclass AND o.objid = d.logicalrelid;
END $$;

CREATE EVENT TRIGGER citus_standin_drop ON sql_drop EXECUTE FUNCTION citus.standin_drop();

package io.citusmigrate.ddl;

import io.citusmigrate.testing.CitusTarget;
import io.citusmigrate.testing.EmbeddedPg;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rejection of CITUS-RULES.md, against the Citus target the tests use: this is what makes
 * the schema tests mean something when they run against the stand-in.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.citusmigrate.testing.SourceAndCitus.class) // its source and the best Citus there is
class CitusRulesIT {
    static EmbeddedPg pg;
    static CitusTarget citus;
    String s;



    @BeforeEach
    void schema() throws SQLException {
        s = citus.newSchema("rules");
        exec("create schema " + s);
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = citus.connect(); Statement st = c.createStatement()) {
            st.execute("set search_path = " + s + ", public");
            for (String q : sql) st.execute(q.replace("%s", s));
        }
    }

    private void rejected(String message, String... sql) {
        SQLException e = assertThrows(SQLException.class, () -> exec(sql));
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' but got: " + e.getMessage());
    }

    @Test
    void colocationNeedsTheSameType() throws SQLException {
        exec("create table a (id int primary key)", "create table b (id bigint primary key)",
                "select create_distributed_table('%s.a', 'id')");
        rejected("cannot colocate tables a and b", "select create_distributed_table('%s.b', 'id', colocate_with => '%s.a')");
    }

    @Test
    void nullInTheDistributionColumn() throws SQLException {
        exec("create table t (k int, v text)", "select create_distributed_table('%s.t', 'k')");
        rejected("cannot perform an INSERT with NULL in the partition column", "insert into t values (null, 'x')");
    }

    @Test
    void changingTheDistributionValue() throws SQLException {
        exec("create table t (k int, v text)", "select create_distributed_table('%s.t', 'k')", "insert into t values (1, 'x')");
        rejected("modifying the partition value of rows is not allowed", "update t set k = 2");
        assertDoesNotThrow(() -> exec("update t set v = 'y' where k = 1"));
    }

    @Test
    void triggers() throws SQLException {
        exec("create function f() returns trigger language plpgsql as $$ begin return new; end $$",
                "create table t (k int)", "create trigger tr before insert on t for each row execute function f()");
        rejected("cannot distribute relation \"t\" because it has triggers", "select create_distributed_table('%s.t', 'k')");
    }

    @Test
    void uniqueConstraintsAndIndexesMustIncludeTheColumn() throws SQLException {
        exec("create table t (k int, id int, email text)", "select create_distributed_table('%s.t', 'k')");
        rejected("cannot create constraint on \"t\"", "alter table t add primary key (id)");
        rejected("cannot create constraint on \"t\"", "alter table t add unique (email)");
        rejected("creating unique indexes on non-partition columns is currently unsupported", "create unique index on t (email) where id > 0");
        assertDoesNotThrow(() -> exec("alter table t add primary key (k, id)", "create unique index on t (k, email)"));
        exec("create table u (id int primary key, k int)");
        rejected("cannot create constraint on \"u\"", "select create_distributed_table('%s.u', 'k')");
    }

    @Test
    void foreignKeysBetweenDistributedTables() throws SQLException {
        exec("create table p (k int, id int, primary key (k, id))", "create table c (k int, id int, pid int, x int, primary key (k, id))",
                "select create_distributed_table('%s.p', 'k')", "select create_distributed_table('%s.c', 'k', colocate_with => '%s.p')");
        rejected("cannot create foreign key constraint", "alter table c add foreign key (x, pid) references p (k, id)");
        rejected("cannot create foreign key constraint", "alter table c add foreign key (pid, k) references p (k, id)");
        rejected("cannot create foreign key constraint", "alter table c add foreign key (k, pid) references p (k, id) on delete set null");
        rejected("cannot create foreign key constraint", "alter table c add foreign key (k, pid) references p (k, id) on delete set default");
        rejected("cannot create foreign key constraint", "alter table c add foreign key (k, pid) references p (k, id) on update cascade");
        // PostgreSQL 15's column-list form is rejected too, though it leaves k alone
        rejected("cannot create foreign key constraint", "alter table c add foreign key (k, pid) references p (k, id) on delete set null (pid)");
        assertDoesNotThrow(() -> exec("alter table c add foreign key (k, pid) references p (k, id) on delete cascade"));
    }

    @Test
    void referenceTablesCannotPointAtDistributedOnes() throws SQLException {
        exec("create table d (id int primary key)", "select create_distributed_table('%s.d', 'id')",
                "create table r (id int primary key, d_id int)", "select create_reference_table('%s.r')");
        rejected("foreign keys from reference tables and local tables to distributed tables are not supported",
                "alter table r add foreign key (d_id) references d (id)");
        // seen on Citus 13.2.2, against CITUS-RULES.md: a plain local table may hold a key to a
        // distributed one, inline or added later (the plan never makes one)
        assertDoesNotThrow(() -> exec("create table l (id int, d_id int)", "alter table l add foreign key (d_id) references d (id)",
                "create table l2 (id int, d_id int references d (id))"));
    }

    @Test
    void userDefinedRangeTypesCannotBeDistributed() throws SQLException {
        exec("create type floatrange as range (subtype = float8)", "create table t (k int, r floatrange)",
                "create table u (k int, r floatrange)", "create table v (k int, r int4range)");
        rejected("has dependency on unsupported object", "select create_distributed_table('%s.t', 'k')");
        rejected("has dependency on unsupported object", "select create_reference_table('%s.u')");
        assertDoesNotThrow(() -> exec("select create_distributed_table('%s.v', 'k')"));
    }

    @Test
    void sequencesCannotBeAlteredOnceATableIsDistributed() throws SQLException {
        exec("create sequence t_id_seq", "create table t (k int, id bigint default nextval('t_id_seq'))",
                "create sequence u_id_seq", "create table u (k int, id bigint default nextval('u_id_seq'))",
                "alter sequence u_id_seq owned by u.id",
                "select create_distributed_table('%s.t', 'k')", "select create_distributed_table('%s.u', 'k')");
        rejected("Altering a distributed sequence is currently not supported", "alter sequence t_id_seq owned by t.id");
        rejected("Altering a distributed sequence is currently not supported", "alter sequence t_id_seq restart with 100");
        // setval still works, and inserts through the coordinator take the next value
        assertDoesNotThrow(() -> exec("select setval('u_id_seq', 500)", "insert into u (k) values (1)"));
        assertTrue(citus.rows("select id from " + s + ".u").get(0).equals("501"), citus.rows("select id from " + s + ".u").toString());
    }

    @Test
    void referencedTablesMustBeDistributedFirst() throws SQLException {
        exec("create table parent (id int primary key)", "create table child (id int, parent_id int references parent)");
        rejected("referenced table \"parent\" must be a distributed table or a reference table",
                "select create_distributed_table('%s.child', 'parent_id')");
        assertDoesNotThrow(() -> exec("select create_reference_table('%s.parent')", "select create_distributed_table('%s.child', 'parent_id')"));
    }
}

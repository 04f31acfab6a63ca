package io.citusmigrate.copy;

import io.citusmigrate.catalog.TypeRef;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardMapTest {
    private static final Node W1 = new Node("10.0.0.1", 5432);
    private static final Node W2 = new Node("10.0.0.2", 5432);
    private static final ShardHash BIGINT = ShardHash.forType(TypeRef.builtin("bigint")).orElseThrow();

    /** Citus's own split of the int4 hash space into n ranges (create_distributed_table), alternating workers. */
    private static List<ShardMap.Shard> citusRanges(int n) {
        List<ShardMap.Shard> out = new ArrayList<>();
        long step = (1L << 32) / n;
        for (int i = 0; i < n; i++) {
            int min = (int) (Integer.MIN_VALUE + i * step);
            int max = i == n - 1 ? Integer.MAX_VALUE : (int) (Integer.MIN_VALUE + (i + 1) * step - 1);
            out.add(new ShardMap.Shard(102008 + i, min, max, "s.t_" + (102008 + i), i % 2 == 0 ? W1 : W2));
        }
        return out;
    }

    @Test
    void aHashGoesToTheShardWhoseRangeHoldsItAndThatShardsWorker() {
        List<ShardMap.Shard> shards = citusRanges(4);
        java.util.Collections.reverse(shards); // pg_dist_shard's order is not the ranges'
        ShardMap map = new ShardMap(BIGINT, shards);
        assertEquals(List.of(W1, W2), map.nodes(), "each worker once, in the order of their first ranges");
        int[][] cases = {{Integer.MIN_VALUE, 0}, {-1073741825, 0}, {-1073741824, 1}, {-1, 1}, {0, 2}, {1073741823, 2},
                {1073741824, 3}, {Integer.MAX_VALUE, 3}};
        for (int[] c : cases) {
            int shard = map.shardOf(c[0]);
            assertEquals(102008 + c[1], map.shard(shard).id(), "hash " + c[0]);
            assertEquals(c[1] % 2 == 0 ? W1 : W2, map.nodes().get(map.nodeOf(shard)), "worker of hash " + c[0]);
        }
    }

    @Test
    void everyHashHasExactlyOneShard() {
        ShardMap map = new ShardMap(BIGINT, citusRanges(32));
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < 100_000; i++) {
            int h = r.nextInt();
            ShardMap.Shard s = map.shard(map.shardOf(h));
            assertTrue(s.min() <= h && h <= s.max(), h + " in " + s);
        }
    }

    @Test
    void rangesWithAGapOrAnOverlapOrAMissingEndAreRefused() {
        List<ShardMap.Shard> gap = citusRanges(4);
        ShardMap.Shard s = gap.get(2);
        gap.set(2, new ShardMap.Shard(s.id(), s.min() + 1, s.max(), s.table(), s.node()));
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(BIGINT, gap));
        List<ShardMap.Shard> overlap = citusRanges(4);
        s = overlap.get(1);
        overlap.set(1, new ShardMap.Shard(s.id(), s.min(), s.max() + 1, s.table(), s.node()));
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(BIGINT, overlap));
        List<ShardMap.Shard> end = citusRanges(4);
        end.remove(3);
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(BIGINT, end));
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(BIGINT, List.of()));
    }

    @Test
    void oneShardHoldsEveryHash() {
        ShardMap map = new ShardMap(BIGINT, List.of(new ShardMap.Shard(1, Integer.MIN_VALUE, Integer.MAX_VALUE, "s.t_1", W1)));
        assertEquals(0, map.shardOf(Integer.MIN_VALUE));
        assertEquals(0, map.shardOf(Integer.MAX_VALUE));
    }

    @Test
    void theSourceHashesWithTheTypesOwnHashFunctionAndTextUnderC() {
        assertEquals("hashint8(CAST((p3.company_id) AS bigint))", BIGINT.of("p3.company_id"));
        assertEquals("hashint4(CAST((t.id) AS integer))", ShardHash.forType(TypeRef.builtin("integer")).orElseThrow().of("t.id"));
        assertEquals("hashtext(CAST((t.\"Key\") AS text) COLLATE \"C\")",
                ShardHash.forType(TypeRef.builtin("character varying(40)")).orElseThrow().of("t.\"Key\""));
        assertEquals("uuid_hash(CAST((t.id) AS uuid))", ShardHash.forType(TypeRef.builtin("uuid")).orElseThrow().of("t.id"));
        assertTrue(ShardHash.forType(TypeRef.builtin("numeric")).isEmpty(), "not known: through the coordinator");
        assertTrue(ShardHash.forType(new TypeRef("integer[]", null, true, 'b')).isEmpty());
    }
}

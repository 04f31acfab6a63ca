package io.citusmigrate.copy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A hash-distributed table's shards on the target: the hash range of each, its table's name on
 * its worker, and which worker holds it. Citus places a row by the hash of its distribution
 * column in the shard whose range holds it; the ranges cover every int4, one after the other.
 */
final class ShardMap {
    /** One shard: its range, its table's qualified name on the worker (as {@code shard_name} quotes it), its worker. */
    record Shard(long id, int min, int max, String table, Node node) {}

    private final ShardHash hash;
    private final int[] mins;
    private final Shard[] shards;
    private final List<Node> nodes;
    private final int[] nodeOf;

    /** Throws IllegalArgumentException when the ranges leave a hash without a shard or overlap. */
    ShardMap(ShardHash hash, List<Shard> shards) {
        this.hash = hash;
        List<Shard> sorted = new ArrayList<>(shards);
        sorted.sort(Comparator.comparingInt(Shard::min));
        if (sorted.isEmpty()) throw new IllegalArgumentException("no shards");
        long next = Integer.MIN_VALUE;
        for (Shard s : sorted) {
            if (s.min() != next || s.max() < s.min()) {
                throw new IllegalArgumentException("the shards' hash ranges do not follow one another at " + next + " (shard " + s.id() + ")");
            }
            next = (long) s.max() + 1;
        }
        if (next != (long) Integer.MAX_VALUE + 1) throw new IllegalArgumentException("no shard holds hashes above " + (next - 1));
        this.shards = sorted.toArray(Shard[]::new);
        this.mins = sorted.stream().mapToInt(Shard::min).toArray();
        this.nodes = sorted.stream().map(Shard::node).distinct().toList();
        this.nodeOf = sorted.stream().mapToInt(s -> nodes.indexOf(s.node())).toArray();
    }

    ShardHash hash() {
        return hash;
    }

    int shardCount() {
        return shards.length;
    }

    Shard shard(int index) {
        return shards[index];
    }

    /** The index of the shard whose range holds {@code h}. */
    int shardOf(int h) {
        int lo = 0, hi = mins.length - 1;
        while (lo < hi) { // the last shard whose min is at most h
            int mid = (lo + hi + 1) >>> 1;
            if (mins[mid] <= h) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /** The workers holding this table's shards, each once. */
    List<Node> nodes() {
        return nodes;
    }

    /** The index in {@link #nodes()} of the worker holding shard {@code index}. */
    int nodeOf(int index) {
        return nodeOf[index];
    }
}

package io.citusmigrate.sink;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The rows set aside are counted once: those of a partition given up are its next holder's to count. */
class RowBufferTest {
    private static final TableRule RULE = new TableRule("public.t", "s", "t", "tenant_id", false, List.of("id"), null, List.of(), false);

    private static ChangeEvent row(String topic, long offset, int id) {
        return new ChangeEvent(RULE, 'c', null, null, List.of(id), -1, null, topic, 0, offset,
                new org.apache.kafka.connect.sink.SinkRecord(topic, 0, null, null, null, null, offset));
    }

    @Test
    void rowsSetAsideInAPartitionGivenUpAreNotCountedByThisTask() {
        RowBuffer b = new RowBuffer(List.of(RULE));
        ChangeEvent a = row("cm.public.t", 1, 1);
        ChangeEvent c = row("cm.public.u", 1, 2);
        b.add(a);
        b.add(c);
        b.discard(a);
        b.discard(c);
        assertEquals(2, b.rejected());
        // a rebalance takes the first partition: its next holder reads the row again and sets it aside itself
        b.drop(Set.of(new TopicPartition("cm.public.t", 0)));
        assertEquals(1, b.rejected());
        b.clear();
        assertEquals(0, b.rejected());
    }
}

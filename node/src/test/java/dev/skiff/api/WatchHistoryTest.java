package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.kv.KvChange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What {@link WatchHistory} gives back after packing changes into bytes, and where it trims. */
class WatchHistoryTest {

    @Test
    void givesBackEveryChangeAfterAnIndex_exactlyAndInOrder() {
        WatchHistory history = new WatchHistory(64L << 20, 0);
        List<KvChange> written = new ArrayList<>();
        Random random = new Random(7);
        for (long index = 1; index <= 3000; index++) {
            // Some entries change several keys (a transaction), some delete, some keys are not ASCII.
            int keys = index % 10 == 0 ? 3 : 1;
            for (int k = 0; k < keys; k++) {
                byte[] value = index % 7 == 0 ? null : new byte[random.nextInt(2000)];
                if (value != null) {
                    random.nextBytes(value);
                }
                KvChange change = new KvChange(index, "k/" + index + "/" + k + (index % 3 == 0 ? "/ключ" : ""), value,
                        value == null ? 0 : index);
                history.append(change);
                written.add(change);
            }
        }
        for (long from : new long[] {0, 1, 9, 10, 1234, 2999, 3000}) {
            List<KvChange> expected = written.stream().filter(c -> c.index() > from).toList();
            List<KvChange> got = history.after(from);
            assertThat(got).hasSameSizeAs(expected);
            for (int i = 0; i < got.size(); i++) {
                KvChange g = got.get(i);
                KvChange e = expected.get(i);
                assertThat(g.index()).isEqualTo(e.index());
                assertThat(g.key()).isEqualTo(e.key());
                assertThat(g.modifyIndex()).isEqualTo(e.modifyIndex());
                assertThat(g.value()).isEqualTo(e.value());
            }
        }
        assertThat(history.floor()).as("nothing trimmed: the floor is still the start").isZero();
    }

    @Test
    void trimsWholeChunks_andNeverKeepsHalfAnEntryAboveTheFloor() {
        WatchHistory history = new WatchHistory(4L * WatchHistory.CHUNK_BYTES, 100);
        byte[] value = "v".repeat(1000).getBytes(StandardCharsets.UTF_8);
        for (long index = 101; index <= 5000; index++) {
            for (int k = 0; k < 5; k++) {
                history.append(new KvChange(index, "key-" + k, value, index));
            }
        }
        long floor = history.floor();
        assertThat(floor).as("about 4 chunks of ~5 KB entries are kept").isBetween(5000L - 4 * 53, 5000L - 3 * 51);
        List<KvChange> kept = history.after(floor);
        assertThat(kept.getFirst().index()).isEqualTo(floor + 1);
        assertThat(kept).hasSize((int) (5000 - floor) * 5);
    }

    @Test
    void aChangeLargerThanTheWholeHistory_raisesTheFloorPastIt() {
        WatchHistory history = new WatchHistory(2L * WatchHistory.CHUNK_BYTES, 0);
        history.append(new KvChange(1, "small", new byte[10], 1));
        history.append(new KvChange(2, "huge", new byte[3 * WatchHistory.CHUNK_BYTES], 2));
        history.append(new KvChange(3, "after", new byte[10], 3));
        assertThat(history.floor()).isEqualTo(2);
        assertThat(history.after(2)).extracting(KvChange::key).containsExactly("after");
    }

    @Test
    void clear_forgetsEverythingAndSetsTheFloor() {
        WatchHistory history = new WatchHistory(64L << 20, 0);
        history.append(new KvChange(1, "a", new byte[1], 1));
        history.clear(40);
        assertThat(history.floor()).isEqualTo(40);
        assertThat(history.after(0)).isEmpty();
        history.append(new KvChange(41, "b", null, 0));
        assertThat(history.after(40)).singleElement().satisfies(c -> assertThat(c.deleted()).isTrue());
    }
}

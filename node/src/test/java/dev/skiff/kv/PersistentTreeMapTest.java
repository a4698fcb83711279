package dev.skiff.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PersistentTreeMapTest {

    private static final Comparator<Integer> ORDER = Comparator.naturalOrder();

    /** Random puts, removes, gets and range scans, checked against TreeMap after every step. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void when_randomOperations_then_agreesWithTreeMapAndOldVersionsNeverChange(long seed) {
        Random random = new Random(seed);
        PersistentTreeMap<Integer, String> map = PersistentTreeMap.empty(ORDER);
        TreeMap<Integer, String> oracle = new TreeMap<>();
        List<PersistentTreeMap<Integer, String>> versions = new ArrayList<>();
        List<TreeMap<Integer, String>> expectedVersions = new ArrayList<>();
        int keySpace = 2_000;

        for (int op = 0; op < 20_000; op++) {
            int key = random.nextInt(keySpace);
            switch (random.nextInt(10)) {
                case 0, 1, 2, 3, 4 -> {
                    String value = "v" + op;
                    map = map.put(key, value);
                    oracle.put(key, value);
                }
                case 5, 6, 7 -> {
                    map = map.remove(key);
                    oracle.remove(key);
                }
                case 8 -> assertThat(map.get(key)).isEqualTo(oracle.get(key));
                default -> {
                    boolean inclusive = random.nextBoolean();
                    assertThat(keys(map.iteratorFrom(key, inclusive), 20))
                            .isEqualTo(oracle.tailMap(key, inclusive).keySet().stream().limit(20).toList());
                }
            }
            assertThat(map.size()).isEqualTo(oracle.size());
            if (op % 1_000 == 0) {
                assertValid(map.root(), null, null);
                assertThat(toMap(map)).isEqualTo(oracle);
                versions.add(map);
                expectedVersions.add(new TreeMap<>(oracle));
            }
        }
        assertValid(map.root(), null, null);
        assertThat(toMap(map)).isEqualTo(oracle);
        for (int i = 0; i < versions.size(); i++) {
            assertThat(toMap(versions.get(i))).as("version %d", i).isEqualTo(expectedVersions.get(i));
        }
    }

    /**
     * The same under edits, as a state machine's batches use them: a new edit every few
     * operations (a batch or a rollback point); the versions kept at those points never change
     * however the later edits reuse nodes.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void when_randomOperationsUnderEdits_then_agreesWithTreeMapAndKeptVersionsNeverChange(long seed) {
        Random random = new Random(seed);
        PersistentTreeMap<Integer, String> map = PersistentTreeMap.empty(ORDER);
        TreeMap<Integer, String> oracle = new TreeMap<>();
        List<PersistentTreeMap<Integer, String>> versions = new ArrayList<>();
        List<TreeMap<Integer, String>> expectedVersions = new ArrayList<>();
        PersistentTreeMap.Edit edit = new PersistentTreeMap.Edit();
        int keySpace = 2_000;

        for (int op = 0; op < 30_000; op++) {
            if (random.nextInt(40) == 0) {
                versions.add(map);
                expectedVersions.add(new TreeMap<>(oracle));
                edit = new PersistentTreeMap.Edit();
            }
            // Runs of nearby keys, as a batch of writes under one prefix makes, and scattered ones.
            int key = random.nextBoolean() ? random.nextInt(keySpace) : (op / 50 * 37 + random.nextInt(8)) % keySpace;
            switch (random.nextInt(10)) {
                case 0, 1, 2, 3, 4, 5 -> {
                    String value = "v" + op;
                    map = map.put(key, value, edit);
                    oracle.put(key, value);
                }
                case 6, 7, 8 -> {
                    map = map.remove(key, edit);
                    oracle.remove(key);
                }
                default -> assertThat(map.get(key)).isEqualTo(oracle.get(key));
            }
            assertThat(map.size()).isEqualTo(oracle.size());
            if (op % 500 == 0) {
                assertValid(map.root(), null, null);
                assertThat(toMap(map)).isEqualTo(oracle);
            }
        }
        assertValid(map.root(), null, null);
        assertThat(toMap(map)).isEqualTo(oracle);
        assertThat(versions).hasSizeGreaterThan(100);
        for (int i = 0; i < versions.size(); i++) {
            assertValid(versions.get(i).root(), null, null);
            assertThat(toMap(versions.get(i))).as("version %d", i).isEqualTo(expectedVersions.get(i));
        }
    }

    @Test
    void when_putsShareAnEdit_then_theyReuseItsNodesAndLeaveOtherVersionsAlone() {
        PersistentTreeMap<Integer, Integer> before = PersistentTreeMap.empty(ORDER);
        for (int i = 0; i < 1_000; i++) {
            before = before.put(i, i);
        }
        PersistentTreeMap.Edit edit = new PersistentTreeMap.Edit();
        PersistentTreeMap<Integer, Integer> first = before.put(2_000, 0, edit);
        PersistentTreeMap<Integer, Integer> second = first.put(2_001, 1, edit);

        // The second put changed the root that the first made instead of copying it again...
        assertThat(second.root()).isSameAs(first.root());
        // ...and left the version from before the edit as it was.
        assertThat(before.root()).isNotSameAs(second.root());
        assertThat(before.size()).isEqualTo(1_000);
        assertThat(before.get(2_000)).isNull();
        assertValid(before.root(), null, null);
        assertThat(second.size()).isEqualTo(1_002);
        assertThat(second.get(2_000)).isZero();

        // Without an edit, or under another one, every put copies its path.
        assertThat(second.put(2_002, 2).root()).isNotSameAs(second.root());
        assertThat(second.put(2_002, 2, new PersistentTreeMap.Edit()).root()).isNotSameAs(second.root());
    }

    @Test
    void when_ascendingAndDescendingInserts_then_treeStaysBalanced() {
        PersistentTreeMap<Integer, Integer> up = PersistentTreeMap.empty(ORDER);
        PersistentTreeMap<Integer, Integer> down = PersistentTreeMap.empty(ORDER);
        for (int i = 0; i < 10_000; i++) {
            up = up.put(i, i);
            down = down.put(-i, i);
        }
        assertValid(up.root(), null, null);
        assertValid(down.root(), null, null);
        assertThat(height(up.root())).isLessThanOrEqualTo(2 * 14 + 2); // log2(10,000) ≈ 13.3
        for (int i = 0; i < 10_000; i += 2) {
            up = up.remove(i);
        }
        assertValid(up.root(), null, null);
        assertThat(up.size()).isEqualTo(5_000);
    }

    @Test
    void when_removingAbsentKey_then_sameInstance() {
        PersistentTreeMap<Integer, String> map = PersistentTreeMap.<Integer, String>empty(ORDER).put(1, "a");
        assertThat(map.remove(2)).isSameAs(map);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 7, 100, 1_000})
    void when_builtFromSorted_then_validAndInOrder(int n) {
        List<Integer> values = IntStream.range(0, n).map(i -> i * 2).boxed().toList();
        PersistentTreeMap<Integer, Integer> map = PersistentTreeMap.ofSorted(ORDER, values, v -> v);
        assertValid(map.root(), null, null);
        assertThat(keys(map.iterator(), Integer.MAX_VALUE)).isEqualTo(values);
        // and it keeps working as a normal map
        map = map.put(3, 3).remove(0);
        assertValid(map.root(), null, null);
    }

    @Test
    void when_builtFromUnsorted_then_rejected() {
        assertThatThrownBy(() -> PersistentTreeMap.ofSorted(ORDER, List.of(1, 3, 3), v -> v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("position 2");
    }

    private static <K, V> List<K> keys(Iterator<PersistentTreeMap.Node<K, V>> it, int limit) {
        List<K> keys = new ArrayList<>();
        while (it.hasNext() && keys.size() < limit) {
            keys.add(it.next().key());
        }
        return keys;
    }

    private static <V> Map<Integer, V> toMap(PersistentTreeMap<Integer, V> map) {
        Map<Integer, V> result = new TreeMap<>();
        for (PersistentTreeMap.Node<Integer, V> node : map) {
            result.put(node.key(), node.value());
        }
        return result;
    }

    /** Order, sizes and the weight-balance invariant (DELTA = 3) at every node. */
    private static void assertValid(PersistentTreeMap.Node<Integer, ?> n, Integer low, Integer high) {
        if (n == null) {
            return;
        }
        if (low != null) {
            assertThat(n.key).isGreaterThan(low);
        }
        if (high != null) {
            assertThat(n.key).isLessThan(high);
        }
        int sl = n.left == null ? 0 : n.left.size;
        int sr = n.right == null ? 0 : n.right.size;
        assertThat(n.size).isEqualTo(sl + sr + 1);
        assertThat(sl + sr <= 1 || (sl <= 3 * sr && sr <= 3 * sl))
                .as("balanced at %s: left %d, right %d", n.key, sl, sr).isTrue();
        assertValid(n.left, low, n.key);
        assertValid(n.right, n.key, high);
    }

    private static int height(PersistentTreeMap.Node<?, ?> n) {
        return n == null ? 0 : 1 + Math.max(height(n.left), height(n.right));
    }
}

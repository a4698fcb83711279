package dev.skiff.raft.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.StableStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link StableStore} contract, run against every implementation: extend it, implement
 * {@link #newStore()}, and {@link #reopen} if the store is durable.
 */
public abstract class StableStoreContract {

    private final List<StableStore> opened = new ArrayList<>();

    /** A new, empty store. */
    protected abstract StableStore newStore() throws IOException;

    /** Closes {@code store} and opens it again over the same storage; non-durable stores return it. */
    protected StableStore reopen(StableStore store) throws IOException {
        return store;
    }

    private StableStore store() throws IOException {
        StableStore s = newStore();
        opened.add(s);
        return s;
    }

    private StableStore restart(StableStore s) throws IOException {
        StableStore r = reopen(s);
        opened.add(r);
        return r;
    }

    @AfterEach
    void closeStores() throws IOException {
        for (StableStore s : opened) {
            s.close();
        }
    }

    @Test
    void when_keyNeverSet_then_itIsAbsentAndLongsDefault() throws IOException {
        StableStore s = store();
        assertThat(s.get(StableStore.CURRENT_TERM)).isEmpty();
        assertThat(s.getLong(StableStore.CURRENT_TERM, 42)).isEqualTo(42);
    }

    @Test
    void when_valuesSet_then_theyReadBackAndSurviveARestart() throws IOException {
        StableStore s = store();
        s.setLong(StableStore.CURRENT_TERM, 7);
        s.setAll(Map.of(StableStore.LAST_VOTE_TERM, StableStore.encodeLong(7),
                StableStore.LAST_VOTE_CANDIDATE, "node-2".getBytes(StandardCharsets.UTF_8)));
        s.set("empty", new byte[0]);
        s.set("ключ", new byte[] {1, 2, 3});
        StableStore r = restart(s);
        assertThat(r.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(7);
        assertThat(r.getLong(StableStore.LAST_VOTE_TERM, 0)).isEqualTo(7);
        assertThat(r.get(StableStore.LAST_VOTE_CANDIDATE)).hasValueSatisfying(
                v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("node-2"));
        assertThat(r.get("empty")).hasValueSatisfying(v -> assertThat(v).isEmpty());
        assertThat(r.get("ключ")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
    }

    @Test
    void when_valueOverwritten_then_theLatestWinsAndOtherKeysStay() throws IOException {
        StableStore s = store();
        s.setLong(StableStore.CURRENT_TERM, 1);
        s.setLong(StableStore.LAST_VOTE_TERM, 1);
        for (long t = 2; t <= 50; t++) {
            s.setLong(StableStore.CURRENT_TERM, t);
        }
        StableStore r = restart(s);
        assertThat(r.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(50);
        assertThat(r.getLong(StableStore.LAST_VOTE_TERM, 0)).isEqualTo(1);
    }

    @Test
    void when_callerMutatesArrays_then_theStoredValueDoesNotChange() throws IOException {
        StableStore s = store();
        byte[] value = {1, 2, 3};
        s.set("k", value);
        value[0] = 9;
        s.get("k").orElseThrow()[1] = 9;
        assertThat(s.get("k")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
    }

    @Test
    void when_largeValueSet_then_itReadsBackIdentical() throws IOException {
        StableStore s = store();
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        s.set("big", big);
        assertThat(restart(s).get("big")).hasValueSatisfying(v -> assertThat(v).isEqualTo(big));
    }
}

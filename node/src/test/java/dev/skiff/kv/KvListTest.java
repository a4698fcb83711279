package dev.skiff.kv;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.skiff.kv.KvFixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvListTest {

    private final KvStateMachine fsm = new KvStateMachine();

    @BeforeEach
    void fill() {
        long index = 1;
        for (String key : List.of("a", "app/1", "app/2", "app/3", "app/4", "app/5", "apple", "b/1", "b/2", "bz", "é", "😀")) {
            fsm.apply(put(index++, key, "v-" + key));
        }
    }

    @Test
    void when_prefixGiven_then_onlyKeysWithItInOrder() {
        assertThat(keys(fsm.list("app", "", 100))).containsExactly("app/1", "app/2", "app/3", "app/4", "app/5", "apple");
        assertThat(keys(fsm.list("app/", "", 100))).containsExactly("app/1", "app/2", "app/3", "app/4", "app/5");
        assertThat(keys(fsm.list("b/", "", 100))).containsExactly("b/1", "b/2");
        assertThat(keys(fsm.list("zz", "", 100))).isEmpty();
        assertThat(fsm.list("zz", "", 100).more()).isFalse();
    }

    @Test
    void when_emptyPrefix_then_allKeysInCodePointOrder() {
        KvPage page = fsm.list("", "", 100);
        assertThat(keys(page)).containsExactly("a", "app/1", "app/2", "app/3", "app/4", "app/5", "apple", "b/1", "b/2", "bz", "é", "😀");
        assertThat(page.more()).isFalse();
        assertThat(page.appliedIndex()).isEqualTo(12);
        assertThat(page.items().get(0)).isEqualTo(fsm.get("a").orElseThrow());
    }

    @Test
    void when_pagingWithLimitAndAfter_then_everyKeyOnceAndMoreFlagExact() {
        List<String> seen = new ArrayList<>();
        List<Boolean> mores = new ArrayList<>();
        String after = "";
        while (true) {
            KvPage page = fsm.list("app/", after, 2);
            seen.addAll(keys(page));
            mores.add(page.more());
            if (!page.more()) {
                break;
            }
            after = page.items().getLast().key();
        }
        assertThat(seen).containsExactly("app/1", "app/2", "app/3", "app/4", "app/5");
        assertThat(mores).containsExactly(true, true, false);
    }

    @Test
    void when_exactlyLimitKeysRemain_then_moreIsFalse() {
        KvPage page = fsm.list("b/", "", 2);
        assertThat(keys(page)).containsExactly("b/1", "b/2");
        assertThat(page.more()).isFalse();
        assertThat(fsm.list("b", "", 2).more()).isTrue();
    }

    @Test
    void when_afterIsAbsentKeyOrOutsidePrefix_then_listingStartsAtTheRightPlace() {
        assertThat(keys(fsm.list("app/", "app/2x", 10))).containsExactly("app/3", "app/4", "app/5");
        assertThat(keys(fsm.list("app/", "a", 2))).containsExactly("app/1", "app/2");
        assertThat(keys(fsm.list("app/", "b", 10))).isEmpty();
        assertThat(keys(fsm.list("", "bz", 10))).containsExactly("é", "😀");
    }

    @Test
    void when_limitBelowOne_then_rejected() {
        assertThatThrownBy(() -> fsm.list("", "", 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    }

    private static List<String> keys(KvPage page) {
        return page.items().stream().map(KvEntry::key).toList();
    }
}

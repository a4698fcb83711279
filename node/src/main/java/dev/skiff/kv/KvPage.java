package dev.skiff.kv;

import java.util.List;

/**
 * One page of a key listing, from {@link KvState#list}.
 *
 * @param items        the entries, in key order ({@link KvKeys#ORDER}); immutable
 * @param more         whether more keys with the prefix follow the last item: ask again with
 *                     {@code afterKey} set to that item's key
 * @param appliedIndex the applied index of the state the page was read from
 */
public record KvPage(List<KvEntry> items, boolean more, long appliedIndex) {

    public KvPage {
        items = List.copyOf(items);
    }
}

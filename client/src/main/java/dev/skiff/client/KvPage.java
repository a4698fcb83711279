package dev.skiff.client;

import java.util.List;

/**
 * One page of a prefix listing, ordered by key.
 *
 * @param items     the keys of this page with their values and indexes
 * @param more      whether keys follow: ask again with {@code after} = the last item's key
 * @param readIndex the applied index the node read at ({@code X-Skiff-Index})
 */
public record KvPage(List<KeyValue> items, boolean more, long readIndex) {

    public KvPage {
        items = List.copyOf(items);
    }
}

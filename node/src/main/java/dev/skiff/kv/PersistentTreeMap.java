package dev.skiff.kv;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Function;

/**
 * An immutable sorted map: every update returns a new map and leaves this one as it was, sharing
 * all untouched nodes with it. Taking a point-in-time view of the map is therefore just keeping
 * a reference, which is what makes {@link KvStateMachine#snapshot()} O(1).
 *
 * <p>Thread-safe: instances never change, so any thread may read one while another builds
 * successors from it.
 *
 * <p>Null keys and null values are not allowed.
 */
/*
 * Implementation notes.
 *
 * A weight-balanced binary search tree ("bounded balance" trees: Nievergelt and Reingold 1973,
 * with Adams' functional algorithms, 1993), the tree behind Haskell's Data.Map. Each node stores
 * the size of its subtree, which both balances the tree and gives size() in O(1).
 *
 * Balance: a node is balanced when its subtrees together hold at most one node, or neither is
 * more than DELTA times the other. After one insertion or deletion below a node, one single or
 * double rotation restores balance at that node; RATIO chooses between them. DELTA = 3 and
 * RATIO = 2 are the only integer parameters proven to keep the invariant for insert and delete
 * (Hirai and Yamamoto, "Balancing weight-balanced trees", JFP 21(3), 2011). The height is at most
 * about 2.4 * log2(n): under 50 at a million keys, so recursion depth is no concern.
 *
 * Persistence: updates copy the path from the root to the changed node (O(log n) new nodes) and
 * share everything else. Nodes are immutable and published through final fields.
 *
 * Memory: one 32-byte node per entry (12-byte header, three references, key, value, int size,
 * with compressed oops), plus whatever the key and value objects take.
 */
final class PersistentTreeMap<K, V> implements Iterable<PersistentTreeMap.Node<K, V>> {

    private static final int DELTA = 3;
    private static final int RATIO = 2;

    /** One entry of the map, and the root of the subtree below it. Immutable. */
    static final class Node<K, V> {
        final K key;
        final V value;
        final Node<K, V> left;
        final Node<K, V> right;
        final int size;

        private Node(K key, V value, Node<K, V> left, Node<K, V> right) {
            this.key = key;
            this.value = value;
            this.left = left;
            this.right = right;
            this.size = size(left) + size(right) + 1;
        }

        K key() {
            return key;
        }

        V value() {
            return value;
        }
    }

    private final Comparator<? super K> order;
    private final Node<K, V> root;

    private PersistentTreeMap(Comparator<? super K> order, Node<K, V> root) {
        this.order = order;
        this.root = root;
    }

    /** The empty map ordered by {@code order}. */
    static <K, V> PersistentTreeMap<K, V> empty(Comparator<? super K> order) {
        return new PersistentTreeMap<>(Objects.requireNonNull(order, "order"), null);
    }

    /**
     * Builds a perfectly balanced map in O(n) from values whose keys are strictly increasing.
     *
     * @throws IllegalArgumentException if the keys are not strictly increasing
     */
    static <K, V> PersistentTreeMap<K, V> ofSorted(
            Comparator<? super K> order, List<V> values, Function<? super V, ? extends K> keyOf) {
        for (int i = 1; i < values.size(); i++) {
            if (order.compare(keyOf.apply(values.get(i - 1)), keyOf.apply(values.get(i))) >= 0) {
                throw new IllegalArgumentException("keys are not strictly increasing at position " + i);
            }
        }
        return new PersistentTreeMap<>(order, build(values, keyOf, 0, values.size()));
    }

    private static <K, V> Node<K, V> build(
            List<V> values, Function<? super V, ? extends K> keyOf, int from, int to) {
        if (from >= to) {
            return null;
        }
        int mid = (from + to) >>> 1;
        V value = values.get(mid);
        return new Node<>(keyOf.apply(value), value,
                build(values, keyOf, from, mid), build(values, keyOf, mid + 1, to));
    }

    /** The number of entries. O(1). */
    int size() {
        return size(root);
    }

    /** The value for {@code key}, or null if absent. */
    V get(K key) {
        Node<K, V> n = root;
        while (n != null) {
            int c = order.compare(key, n.key);
            if (c == 0) {
                return n.value;
            }
            n = c < 0 ? n.left : n.right;
        }
        return null;
    }

    /** A map with {@code key} mapped to {@code value}, replacing any previous value. */
    PersistentTreeMap<K, V> put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return new PersistentTreeMap<>(order, insert(root, key, value));
    }

    /** A map without {@code key}; this same map if the key is absent. */
    PersistentTreeMap<K, V> remove(K key) {
        Node<K, V> newRoot = delete(root, key);
        return newRoot == root ? this : new PersistentTreeMap<>(order, newRoot);
    }

    /** All entries in key order. */
    @Override
    public Iterator<Node<K, V>> iterator() {
        return new InOrder<>(root, null, order, true);
    }

    /**
     * Entries in key order, starting at {@code from}: with the entry for {@code from} itself if
     * {@code inclusive} and present.
     */
    Iterator<Node<K, V>> iteratorFrom(K from, boolean inclusive) {
        return new InOrder<>(root, Objects.requireNonNull(from, "from"), order, inclusive);
    }

    /** Root node, for invariant checks in tests. */
    Node<K, V> root() {
        return root;
    }

    private Node<K, V> insert(Node<K, V> n, K key, V value) {
        if (n == null) {
            return new Node<>(key, value, null, null);
        }
        int c = order.compare(key, n.key);
        if (c < 0) {
            return balance(n.key, n.value, insert(n.left, key, value), n.right);
        } else if (c > 0) {
            return balance(n.key, n.value, n.left, insert(n.right, key, value));
        }
        return new Node<>(key, value, n.left, n.right);
    }

    private Node<K, V> delete(Node<K, V> n, K key) {
        if (n == null) {
            return null;
        }
        int c = order.compare(key, n.key);
        if (c < 0) {
            Node<K, V> left = delete(n.left, key);
            return left == n.left ? n : balance(n.key, n.value, left, n.right);
        } else if (c > 0) {
            Node<K, V> right = delete(n.right, key);
            return right == n.right ? n : balance(n.key, n.value, n.left, right);
        }
        return glue(n.left, n.right);
    }

    /** Joins two balanced subtrees whose sizes were balanced before one entry left them. */
    private Node<K, V> glue(Node<K, V> left, Node<K, V> right) {
        if (left == null) {
            return right;
        }
        if (right == null) {
            return left;
        }
        // Take the replacement from the bigger side so the result stays balanced.
        if (left.size > right.size) {
            Node<K, V> max = left;
            while (max.right != null) {
                max = max.right;
            }
            return balance(max.key, max.value, deleteMax(left), right);
        }
        Node<K, V> min = right;
        while (min.left != null) {
            min = min.left;
        }
        return balance(min.key, min.value, left, deleteMin(right));
    }

    private Node<K, V> deleteMin(Node<K, V> n) {
        return n.left == null ? n.right : balance(n.key, n.value, deleteMin(n.left), n.right);
    }

    private Node<K, V> deleteMax(Node<K, V> n) {
        return n.right == null ? n.left : balance(n.key, n.value, n.left, deleteMax(n.right));
    }

    /** A node for (key, value, left, right), rotated once if one side outweighs the other. */
    private static <K, V> Node<K, V> balance(K key, V value, Node<K, V> left, Node<K, V> right) {
        int sl = size(left);
        int sr = size(right);
        if (sl + sr <= 1) {
            return new Node<>(key, value, left, right);
        }
        if (sr > DELTA * sl) {
            return size(right.left) < RATIO * size(right.right)
                    ? singleLeft(key, value, left, right)
                    : doubleLeft(key, value, left, right);
        }
        if (sl > DELTA * sr) {
            return size(left.right) < RATIO * size(left.left)
                    ? singleRight(key, value, left, right)
                    : doubleRight(key, value, left, right);
        }
        return new Node<>(key, value, left, right);
    }

    private static <K, V> Node<K, V> singleLeft(K key, V value, Node<K, V> left, Node<K, V> right) {
        return new Node<>(right.key, right.value, new Node<>(key, value, left, right.left), right.right);
    }

    private static <K, V> Node<K, V> singleRight(K key, V value, Node<K, V> left, Node<K, V> right) {
        return new Node<>(left.key, left.value, left.left, new Node<>(key, value, left.right, right));
    }

    private static <K, V> Node<K, V> doubleLeft(K key, V value, Node<K, V> left, Node<K, V> right) {
        Node<K, V> pivot = right.left;
        return new Node<>(pivot.key, pivot.value,
                new Node<>(key, value, left, pivot.left),
                new Node<>(right.key, right.value, pivot.right, right.right));
    }

    private static <K, V> Node<K, V> doubleRight(K key, V value, Node<K, V> left, Node<K, V> right) {
        Node<K, V> pivot = left.right;
        return new Node<>(pivot.key, pivot.value,
                new Node<>(left.key, left.value, left.left, pivot.left),
                new Node<>(key, value, pivot.right, right));
    }

    private static int size(Node<?, ?> n) {
        return n == null ? 0 : n.size;
    }

    /** In-order traversal with an explicit stack of the nodes still to visit. */
    private static final class InOrder<K, V> implements Iterator<Node<K, V>> {
        private final ArrayDeque<Node<K, V>> stack = new ArrayDeque<>();

        InOrder(Node<K, V> root, K from, Comparator<? super K> order, boolean inclusive) {
            // Push the path to the first wanted entry: every node on it whose key is wanted is
            // visited after its left subtree, which the descent has already narrowed down.
            Node<K, V> n = root;
            while (n != null) {
                int c = from == null ? -1 : order.compare(from, n.key);
                if (c < 0 || (c == 0 && inclusive)) {
                    stack.push(n);
                    n = c == 0 ? null : n.left;
                } else {
                    n = n.right;
                }
            }
        }

        @Override
        public boolean hasNext() {
            return !stack.isEmpty();
        }

        @Override
        public Node<K, V> next() {
            if (stack.isEmpty()) {
                throw new NoSuchElementException();
            }
            Node<K, V> n = stack.pop();
            for (Node<K, V> m = n.right; m != null; m = m.left) {
                stack.push(m);
            }
            return n;
        }
    }
}

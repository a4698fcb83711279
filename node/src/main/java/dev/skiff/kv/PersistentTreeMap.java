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
 * <p>Updates made under an {@link Edit} may instead change, in place, the nodes that earlier
 * updates under the same edit created: a batch of puts then copies the path to each key once per
 * batch, not once per put (the upper levels of the tree are shared by every path). The caller
 * promises that no map made under an edit has been seen by another thread, or is still needed
 * as it was, while the edit is in use; it takes a new edit to keep a version (a rollback point)
 * and before it publishes one.
 *
 * <p>Thread-safe once published: a map is handed to other threads only after the updates that
 * made it (through a volatile field or an executor), and nothing changes its nodes afterwards, so
 * any thread may read one while another builds successors from it.
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
 * share everything else. Under an edit, a node on that path that the same edit created is reused
 * instead of copied (Clojure's transients, with the edit as the owner token); every node is still
 * built by node(), which decides between the two, so the algorithms are the same either way.
 * Because a reused node keeps its identity while it changes, no algorithm here infers "unchanged"
 * from identity: remove looks the key up first and returns this map if it is absent.
 *
 * Memory: one 40-byte node per entry (12-byte header, five references and an int, with
 * compressed oops, rounded up to 8), plus whatever the key and value objects take.
 */
final class PersistentTreeMap<K, V> implements Iterable<PersistentTreeMap.Node<K, V>> {

    private static final int DELTA = 3;
    private static final int RATIO = 2;

    /**
     * Permission to change in place the nodes made under it, held by one thread while it builds
     * a version that no other thread has seen; see the class comment.
     */
    static final class Edit {
    }

    /** One entry of the map, and the root of the subtree below it. Changed only under its edit, before publication. */
    static final class Node<K, V> {
        K key;
        V value;
        Node<K, V> left;
        Node<K, V> right;
        int size;
        /** The edit this node was made under (null: never changes). */
        private final Edit edit;

        private Node(K key, V value, Node<K, V> left, Node<K, V> right, Edit edit) {
            this.key = key;
            this.value = value;
            this.left = left;
            this.right = right;
            this.size = size(left) + size(right) + 1;
            this.edit = edit;
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
                build(values, keyOf, from, mid), build(values, keyOf, mid + 1, to), null);
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
        return put(key, value, null);
    }

    /**
     * As {@link #put(Object, Object)}, reusing the nodes {@code edit} made (null: none): this map
     * is then no longer what it was if it was made under {@code edit} too.
     */
    PersistentTreeMap<K, V> put(K key, V value, Edit edit) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return new PersistentTreeMap<>(order, insert(root, key, value, edit));
    }

    /** A map without {@code key}; this same map if the key is absent. */
    PersistentTreeMap<K, V> remove(K key) {
        return remove(key, null);
    }

    /** As {@link #remove(Object)}, reusing the nodes {@code edit} made, as {@link #put(Object, Object, Edit)} does. */
    PersistentTreeMap<K, V> remove(K key, Edit edit) {
        if (get(key) == null) {
            return this;
        }
        return new PersistentTreeMap<>(order, delete(root, key, edit));
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

    private Node<K, V> insert(Node<K, V> n, K key, V value, Edit edit) {
        if (n == null) {
            return new Node<>(key, value, null, null, edit);
        }
        int c = order.compare(key, n.key);
        if (c < 0) {
            return balance(n, n.key, n.value, insert(n.left, key, value, edit), n.right, edit);
        } else if (c > 0) {
            return balance(n, n.key, n.value, n.left, insert(n.right, key, value, edit), edit);
        }
        return node(n, key, value, n.left, n.right, edit);
    }

    /** Deletes {@code key}, which is in the subtree at {@code n}. */
    private Node<K, V> delete(Node<K, V> n, K key, Edit edit) {
        int c = order.compare(key, n.key);
        if (c < 0) {
            return balance(n, n.key, n.value, delete(n.left, key, edit), n.right, edit);
        } else if (c > 0) {
            return balance(n, n.key, n.value, n.left, delete(n.right, key, edit), edit);
        }
        return glue(n, n.left, n.right, edit);
    }

    /**
     * Joins two balanced subtrees whose sizes were balanced before one entry left them: the
     * children of {@code removed}, which the join may reuse under {@code edit}.
     */
    private Node<K, V> glue(Node<K, V> removed, Node<K, V> left, Node<K, V> right, Edit edit) {
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
            K key = max.key;
            V value = max.value;
            return balance(removed, key, value, deleteMax(left, edit), right, edit);
        }
        Node<K, V> min = right;
        while (min.left != null) {
            min = min.left;
        }
        K key = min.key;
        V value = min.value;
        return balance(removed, key, value, left, deleteMin(right, edit), edit);
    }

    private Node<K, V> deleteMin(Node<K, V> n, Edit edit) {
        return n.left == null ? n.right : balance(n, n.key, n.value, deleteMin(n.left, edit), n.right, edit);
    }

    private Node<K, V> deleteMax(Node<K, V> n, Edit edit) {
        return n.right == null ? n.left : balance(n, n.key, n.value, n.left, deleteMax(n.right, edit), edit);
    }

    /**
     * A node for (key, value, left, right), rotated once if one side outweighs the other; it may
     * reuse {@code at} (the node this one replaces) and the heavier child under {@code edit}.
     */
    private static <K, V> Node<K, V> balance(Node<K, V> at, K key, V value, Node<K, V> left, Node<K, V> right,
                                             Edit edit) {
        int sl = size(left);
        int sr = size(right);
        if (sl + sr <= 1) {
            return node(at, key, value, left, right, edit);
        }
        if (sr > DELTA * sl) {
            return size(right.left) < RATIO * size(right.right)
                    ? singleLeft(at, key, value, left, right, edit)
                    : doubleLeft(at, key, value, left, right, edit);
        }
        if (sl > DELTA * sr) {
            return size(left.right) < RATIO * size(left.left)
                    ? singleRight(at, key, value, left, right, edit)
                    : doubleRight(at, key, value, left, right, edit);
        }
        return node(at, key, value, left, right, edit);
    }

    // The rotations read every field they need before node() may change a reused node.

    private static <K, V> Node<K, V> singleLeft(Node<K, V> at, K key, V value, Node<K, V> left, Node<K, V> right,
                                                Edit edit) {
        K rk = right.key;
        V rv = right.value;
        Node<K, V> rl = right.left;
        Node<K, V> rr = right.right;
        return node(right, rk, rv, node(at, key, value, left, rl, edit), rr, edit);
    }

    private static <K, V> Node<K, V> singleRight(Node<K, V> at, K key, V value, Node<K, V> left, Node<K, V> right,
                                                 Edit edit) {
        K lk = left.key;
        V lv = left.value;
        Node<K, V> ll = left.left;
        Node<K, V> lr = left.right;
        return node(left, lk, lv, ll, node(at, key, value, lr, right, edit), edit);
    }

    private static <K, V> Node<K, V> doubleLeft(Node<K, V> at, K key, V value, Node<K, V> left, Node<K, V> right,
                                                Edit edit) {
        Node<K, V> pivot = right.left;
        K pk = pivot.key;
        V pv = pivot.value;
        Node<K, V> pl = pivot.left;
        Node<K, V> pr = pivot.right;
        K rk = right.key;
        V rv = right.value;
        Node<K, V> rr = right.right;
        return node(pivot, pk, pv, node(at, key, value, left, pl, edit), node(right, rk, rv, pr, rr, edit), edit);
    }

    private static <K, V> Node<K, V> doubleRight(Node<K, V> at, K key, V value, Node<K, V> left, Node<K, V> right,
                                                 Edit edit) {
        Node<K, V> pivot = left.right;
        K pk = pivot.key;
        V pv = pivot.value;
        Node<K, V> pl = pivot.left;
        Node<K, V> pr = pivot.right;
        K lk = left.key;
        V lv = left.value;
        Node<K, V> ll = left.left;
        return node(pivot, pk, pv, node(left, lk, lv, ll, pl, edit), node(at, key, value, pr, right, edit), edit);
    }

    /**
     * The node (key, value, left, right): {@code reuse} itself, changed, if {@code edit} made it,
     * else a new node under {@code edit}.
     */
    private static <K, V> Node<K, V> node(Node<K, V> reuse, K key, V value, Node<K, V> left, Node<K, V> right,
                                          Edit edit) {
        if (edit != null && reuse != null && reuse.edit == edit) {
            reuse.key = key;
            reuse.value = value;
            reuse.left = left;
            reuse.right = right;
            reuse.size = size(left) + size(right) + 1;
            return reuse;
        }
        return new Node<>(key, value, left, right, edit);
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

package dev.skiff.it.linearizability;

import java.util.Objects;

/**
 * One state of {@link RegisterModel}: a key's value, modifyIndex and lock holder as the checker
 * believes them at a point of a linearization.
 *
 * @param value the value, or null when the key is absent
 * @param modifyIndex the key's modifyIndex: 0 when absent or when not known
 * @param indexKnown false after a write with an unknown outcome (or a lock operation, whose
 *     answer carries no index), until an observation binds it
 * @param floor the highest write index known to have been applied to the key (0 = none);
 *     equal to {@code modifyIndex} when that is known and the key is present
 * @param holder the session holding the key's lock, or null when it is free (always null
 *     when the key is absent: deleting a key drops its lock)
 */
record RegisterState(String value, long modifyIndex, boolean indexKnown, long floor, String holder) {

    static final RegisterState INITIAL = absent(0);

    static RegisterState absent(long floor) {
        return new RegisterState(null, 0, true, floor, null);
    }

    boolean isPresent() {
        return value != null;
    }

    /** The key holding {@code newValue} with modifyIndex {@code index}; the lock stays as it is (as Consul's). */
    RegisterState written(String newValue, long index) {
        return new RegisterState(newValue, index, true, index, holder);
    }

    /** The key holding {@code newValue} with an index above the floor but not known; the lock stays. */
    RegisterState writtenUnknownIndex(String newValue) {
        return new RegisterState(newValue, 0, false, floor, holder);
    }

    /** This state with its (unknown) modifyIndex bound to {@code index}. */
    RegisterState withIndex(long index) {
        return new RegisterState(value, index, true, index, holder);
    }

    /**
     * The key holding {@code newValue} with lock holder {@code newHolder} (null: free), after a
     * lock operation: its index is above every earlier write's, but the answer does not say
     * which, so it is unknown above the floor (which is the known index, if there was one).
     */
    RegisterState locked(String newValue, String newHolder) {
        return new RegisterState(newValue, 0, false, floor, newHolder);
    }

    /**
     * Whether every continuation allowed from {@code other} is allowed from this state: the
     * same value, lock holder and index knowledge, and a floor no higher (the floor only ever
     * forbids indexes at or below it, and every transition keeps a lower floor lower or resets
     * it).
     */
    boolean dominates(RegisterState other) {
        return indexKnown == other.indexKnown && modifyIndex == other.modifyIndex && floor <= other.floor
                && Objects.equals(value, other.value) && Objects.equals(holder, other.holder);
    }

    RegisterState withFloor(long newFloor) {
        return new RegisterState(value, modifyIndex, indexKnown, newFloor, holder);
    }

    /**
     * For reports: {@code "v2" (modifyIndex 7)}, {@code "v2" (modifyIndex unknown, > 5)},
     * {@code "v2" (modifyIndex 7, locked by session "s1")}, {@code absent}.
     */
    String describe() {
        if (!isPresent()) {
            return "absent";
        }
        String index = indexKnown ? "modifyIndex " + modifyIndex : "modifyIndex unknown, > " + floor;
        String lock = holder == null ? "" : ", locked by session " + Operation.quote(holder);
        return Operation.quote(value) + " (" + index + lock + ")";
    }
}

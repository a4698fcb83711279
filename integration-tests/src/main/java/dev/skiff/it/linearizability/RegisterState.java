package dev.skiff.it.linearizability;

/**
 * One state of {@link RegisterModel}: a key's value and modifyIndex as the checker believes
 * them at a point of a linearization.
 *
 * @param value the value, or null when the key is absent
 * @param modifyIndex the key's modifyIndex: 0 when absent or when not known
 * @param indexKnown false after a write with an unknown outcome, until an observation binds it
 * @param floor the highest write index known to have been applied to the key (0 = none);
 *     equal to {@code modifyIndex} when that is known and the key is present
 */
record RegisterState(String value, long modifyIndex, boolean indexKnown, long floor) {

    static final RegisterState INITIAL = absent(0);

    static RegisterState absent(long floor) {
        return new RegisterState(null, 0, true, floor);
    }

    static RegisterState present(String value, long modifyIndex) {
        return new RegisterState(value, modifyIndex, true, modifyIndex);
    }

    static RegisterState presentUnknownIndex(String value, long floor) {
        return new RegisterState(value, 0, false, floor);
    }

    boolean isPresent() {
        return value != null;
    }

    /**
     * Whether every continuation allowed from {@code other} is allowed from this state: the
     * same value and index knowledge, and a floor no higher (the floor only ever forbids
     * indexes at or below it, and every transition keeps a lower floor lower or resets it).
     */
    boolean dominates(RegisterState other) {
        return indexKnown == other.indexKnown && modifyIndex == other.modifyIndex && floor <= other.floor
                && (value == null ? other.value == null : value.equals(other.value));
    }

    RegisterState withFloor(long newFloor) {
        return new RegisterState(value, modifyIndex, indexKnown, newFloor);
    }

    /** For reports: {@code "v2" (modifyIndex 7)}, {@code "v2" (modifyIndex unknown, > 5)}, {@code absent}. */
    String describe() {
        if (!isPresent()) {
            return "absent";
        }
        String index = indexKnown ? "modifyIndex " + modifyIndex : "modifyIndex unknown, > " + floor;
        return Operation.quote(value) + " (" + index + ")";
    }
}

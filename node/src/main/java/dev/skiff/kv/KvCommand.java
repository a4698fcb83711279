package dev.skiff.kv;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A change to the key-value state, proposed through Raft in {@link KvCommandCodec} form and
 * applied by {@link KvStateMachine}.
 *
 * <p>CAS: a command with a {@code cas} index applies only if the key's current modifyIndex, or 0
 * when the key is absent, equals it. So {@code cas = 0} on a put means "create only".
 */
public sealed interface KvCommand {

    /**
     * The largest value the state machine accepts, whatever the API's own (smaller) limit; it
     * bounds what a corrupt length field can make a reader allocate.
     */
    int MAX_VALUE_BYTES = 64 << 20;

    /** The key the command changes. */
    String key();

    /**
     * Sets a key's value.
     *
     * @param key   a valid key ({@link KvKeys})
     * @param value the new value, at most {@link #MAX_VALUE_BYTES}; not copied, never write to it
     *              afterwards
     * @param cas   apply only if the key's modifyIndex (0 if absent) equals this; empty for an
     *              unconditional put
     */
    record Put(String key, byte[] value, OptionalLong cas) implements KvCommand {

        /** @throws IllegalArgumentException naming the bad argument */
        public Put {
            KvKeys.requireValid(key);
            Objects.requireNonNull(value, "value");
            if (value.length > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("value is " + value.length
                        + " bytes, longer than the limit of " + MAX_VALUE_BYTES);
            }
            requireValidCas(cas);
        }

        /** An unconditional put. */
        public static Put of(String key, byte[] value) {
            return new Put(key, value, OptionalLong.empty());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && p.key.equals(key) && p.cas.equals(cas)
                    && Arrays.equals(p.value, value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, cas, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Put[" + key + " " + value.length + "B" + (cas.isPresent() ? " cas " + cas.getAsLong() : "") + "]";
        }
    }

    /**
     * Removes a key. Deleting an absent key is not an error: it applies and reports
     * {@code existed = false}.
     *
     * @param key a valid key ({@link KvKeys})
     * @param cas apply only if the key's modifyIndex (0 if absent) equals this; empty for an
     *            unconditional delete
     */
    record Delete(String key, OptionalLong cas) implements KvCommand {

        /** @throws IllegalArgumentException naming the bad argument */
        public Delete {
            KvKeys.requireValid(key);
            requireValidCas(cas);
        }

        /** An unconditional delete. */
        public static Delete of(String key) {
            return new Delete(key, OptionalLong.empty());
        }
    }

    private static void requireValidCas(OptionalLong cas) {
        Objects.requireNonNull(cas, "cas");
        if (cas.isPresent() && cas.getAsLong() < 0) {
            throw new IllegalArgumentException("cas index must be >= 0, got " + cas.getAsLong());
        }
    }
}

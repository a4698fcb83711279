package dev.skiff.raft;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;

/**
 * Small, durable key-value storage for the facts Raft must never forget: the current term
 * and the vote cast in it (local file in development, DynamoDB in the cloud).
 *
 * <p><b>Threading.</b> Implementations are thread-safe; Raft writes from one thread.
 *
 * <p><b>Durability.</b> When {@link #setAll} returns, all of its values survive a crash, and
 * they were written atomically: after a crash either all or none of them are visible.
 *
 * <p><b>Fencing.</b> An implementation shared between machines (DynamoDB) may refuse a write
 * that would move {@link #CURRENT_TERM} backwards or that comes from a second process with the
 * same identity, by throwing {@link StableStoreFencedException}.
 *
 * @see InMemoryStableStore
 */
public interface StableStore extends AutoCloseable {

    /** Key of the current term, an 8-byte big-endian long. */
    String CURRENT_TERM = "CurrentTerm";
    /** Key of the term in which the last vote was cast, an 8-byte big-endian long. */
    String LAST_VOTE_TERM = "LastVoteTerm";
    /** Key of the id of the candidate voted for in {@link #LAST_VOTE_TERM}, UTF-8. */
    String LAST_VOTE_CANDIDATE = "LastVoteCand";

    /** The value stored under {@code key}, if any. */
    Optional<byte[]> get(String key) throws IOException;

    /** Stores every entry of {@code values} atomically and durably. */
    void setAll(Map<String, byte[]> values) throws IOException;

    /** Stores one value durably. */
    default void set(String key, byte[] value) throws IOException {
        setAll(Map.of(key, value));
    }

    /** The long stored under {@code key}, or {@code defaultValue}. */
    default long getLong(String key, long defaultValue) throws IOException {
        return get(key).map(b -> ByteBuffer.wrap(b).getLong()).orElse(defaultValue);
    }

    /** Stores a long durably. */
    default void setLong(String key, long value) throws IOException {
        set(key, encodeLong(value));
    }

    /** The 8-byte big-endian form of a long, as stored by {@link #setLong}. */
    static byte[] encodeLong(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    /** Releases resources. Idempotent. */
    @Override
    void close() throws IOException;
}

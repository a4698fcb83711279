package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.List;

/** Hand-written histories for tests: times in milliseconds, ids in the order of the calls. */
final class HistoryBuilder {

    private final List<Operation> operations = new ArrayList<>();

    /** Client {@code client} ran {@code op} from {@code fromMs} to {@code toMs} with {@code outcome}. */
    HistoryBuilder op(int client, long fromMs, long toMs, KvOp op, Outcome outcome) {
        operations.add(new Operation(operations.size(), client, op, fromMs * 1_000_000, toMs * 1_000_000, outcome));
        return this;
    }

    List<Operation> build() {
        return List.copyOf(operations);
    }

    static KvOp put(String key, String value) {
        return new KvOp.Put(key, value);
    }

    static KvOp cas(String key, long expected, String value) {
        return new KvOp.Cas(key, expected, value);
    }

    static KvOp get(String key) {
        return new KvOp.Get(key);
    }

    static KvOp delete(String key) {
        return new KvOp.Delete(key);
    }

    static KvOp casDelete(String key, long expected) {
        return new KvOp.CasDelete(key, expected);
    }

    static KvOp acquire(String key, String session, String value) {
        return new KvOp.Acquire(key, session, value);
    }

    static KvOp release(String key, String session, String value) {
        return new KvOp.Release(key, session, value);
    }

    /** {@code 200 true} to an acquire or release. */
    static Outcome applied() {
        return new Outcome.Ok(new KvResult.LockResult(true));
    }

    /** {@code 200 false} to an acquire or release. */
    static Outcome refused() {
        return new Outcome.Ok(new KvResult.LockResult(false));
    }

    static Outcome written(long index) {
        return new Outcome.Ok(new KvResult.Written(index));
    }

    static Outcome found(String value, long modifyIndex) {
        return new Outcome.Ok(new KvResult.Found(value, modifyIndex));
    }

    static Outcome notFound() {
        return new Outcome.Ok(new KvResult.NotFound());
    }

    static Outcome mismatch(long current) {
        return new Outcome.Ok(new KvResult.Mismatch(current));
    }

    static Outcome deleted(long index) {
        return new Outcome.Ok(new KvResult.Deletion(index, true));
    }

    static Outcome notDeleted(long index) {
        return new Outcome.Ok(new KvResult.Deletion(index, false));
    }

    static Outcome unknown() {
        return new Outcome.Unknown("504");
    }

    static Outcome failed() {
        return new Outcome.Failed("503");
    }
}

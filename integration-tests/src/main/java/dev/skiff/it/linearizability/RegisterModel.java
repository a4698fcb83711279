package dev.skiff.it.linearizability;

/**
 * The sequential specification of one key: a register holding a value, its modifyIndex and
 * its lock holder.
 *
 * <h2>State</h2>
 * {@link RegisterState}: the value (or absent), the modifyIndex when it is known, a
 * <em>floor</em>, the highest write index known to have been applied to the key, and the
 * session holding the key's lock (or none). An absent key has modifyIndex 0 and no holder.
 *
 * <h2>Transitions of a request with a definite result</h2>
 * <ul>
 *   <li>put → index N: requires N &gt; floor (Raft indexes grow along the log, which is a
 *       valid linearization order of a correct system); the key becomes (value, N).
 *   <li>cas(M, v) → index N: requires modifyIndex = M (M = 0: absent) and N &gt; M, N &gt;
 *       floor; the key becomes (v, N).
 *   <li>cas(M) or delete(M) → 412 with current C: requires C ≠ M and modifyIndex = C.
 *   <li>get → (v, X): requires the key to hold v with modifyIndex X; get → 404: absent.
 *   <li>delete → deleted, index N: requires the key present and N &gt; floor; it becomes
 *       absent with floor N. delete → not deleted: requires the key absent.
 *   <li>delete(M) → deleted: also requires modifyIndex = M; delete(M) → not deleted: requires
 *       the key absent or its modifyIndex ≠ M.
 *   <li>Puts and CAS keep the lock holder, as Consul's do; a delete drops the key and with it
 *       the lock (the server removes the entry that carries the holder).
 * </ul>
 *
 * <h2>Locks (API.md §7–8, Consul's semantics)</h2>
 * <ul>
 *   <li>acquire(s, v) → true: requires the lock free or held by s; the key becomes v, held by
 *       s (created if absent). acquire(s) → false: requires the lock held by another session.
 *   <li>release(s, v) → true: requires the lock held by s; the key becomes v (a release writes
 *       its body, as Consul's does) and free. release(s) → false: requires the lock not held
 *       by s (free, held by another, or the key absent).
 *   <li>A lock operation that applies moves the key's modifyIndex to its entry's index, which
 *       the answer ({@code true}) does not carry: the index becomes unknown above the floor,
 *       bound by the next observation as after an unknown-outcome write.
 *   <li>Assumed: sessions never end and have no TTL, so there is no lock delay (a session's
 *       lock delay starts only when it is destroyed or expires) and no lock is released
 *       behind the clients' backs. A history whose sessions end is outside this model.
 * </ul>
 *
 * <h2>Requests with an unknown outcome</h2>
 * If applied, they act without a known index: put(v) makes the key (v, index unknown);
 * cas(M, v) requires modifyIndex = M and makes it (v, unknown); delete requires the key
 * present; delete(M) requires modifyIndex = M; acquire and release apply only where they would
 * answer true, as above (where they would answer false they change nothing, which is the same
 * as not applying them). Not applying them at all is always allowed
 * (the search simply never linearizes them), so applying one only where it succeeds loses no
 * linearization. Unknown gets say nothing and are dropped before the search.
 *
 * <h2>Unknown modifyIndex, soundly</h2>
 * A key whose value came from an unknown-outcome write has an unknown modifyIndex, but one
 * greater than the floor. The first later observation of it binds it: a get returning (v, X)
 * or a 412 reporting X requires X &gt; floor and from then on the index is X; a successful
 * cas(M) or delete(M) binds it to M. Nothing else is guessed, so every rejection is a real
 * violation of the API's semantics; the price is that a few impossible histories pass (e.g.
 * a delete(M) → not deleted does not remember "≠ M" about an unknown index).
 *
 * <p>Stateless and thread-safe.
 */
final class RegisterModel {

    private RegisterModel() {
    }

    /**
     * The state after {@code op} with {@code outcome} takes effect in {@code state}, or null if
     * it cannot take effect there. {@code outcome} must be {@link Outcome.Ok} or {@link
     * Outcome.Unknown}; unknown gets must not be passed. When {@code why} is not null a
     * rejection appends its reason there (used only for reports: the search passes null).
     */
    static RegisterState step(RegisterState state, KvOp op, Outcome outcome, StringBuilder why) {
        return switch (outcome) {
            case Outcome.Ok(KvResult result) -> applyResult(state, op, result, why);
            case Outcome.Unknown u -> applyUnknown(state, op, why);
            case Outcome.Failed f -> throw new IllegalArgumentException("failed operations never take effect");
        };
    }

    private static RegisterState applyResult(RegisterState s, KvOp op, KvResult result, StringBuilder why) {
        return switch (op) {
            case KvOp.Put put -> {
                long index = ((KvResult.Written) result).index();
                yield indexAbove(s, index, why) ? s.written(put.value(), index) : null;
            }
            case KvOp.Cas cas -> switch (result) {
                case KvResult.Written w -> {
                    RegisterState matched = matching(s, cas.expectedModifyIndex(), why);
                    if (matched == null || !indexAbove(matched, w.index(), why)) {
                        yield null;
                    }
                    yield matched.written(cas.value(), w.index());
                }
                case KvResult.Mismatch m -> mismatch(s, cas.expectedModifyIndex(), m, why);
                default -> throw new IllegalArgumentException("unexpected result " + result);
            };
            case KvOp.Get get -> switch (result) {
                case KvResult.Found f -> {
                    if (!s.isPresent() || !s.value().equals(f.value())) {
                        yield reject(why, "the key holds " + s.describe() + ", not " + Operation.quote(f.value()));
                    }
                    yield observeIndex(s, f.modifyIndex(), why);
                }
                case KvResult.NotFound n -> s.isPresent()
                        ? reject(why, "the key holds " + s.describe() + ", it is not absent")
                        : s;
                default -> throw new IllegalArgumentException("unexpected result " + result);
            };
            case KvOp.Delete delete -> {
                KvResult.Deletion d = (KvResult.Deletion) result;
                if (!d.deleted()) {
                    yield s.isPresent() ? reject(why, "the key holds " + s.describe() + ", it is not absent") : s;
                }
                if (!s.isPresent()) {
                    yield reject(why, "the key is absent, there is nothing to delete");
                }
                yield indexAbove(s, d.index(), why) ? RegisterState.absent(d.index()) : null;
            }
            case KvOp.CasDelete delete -> switch (result) {
                case KvResult.Deletion d when d.deleted() -> {
                    RegisterState matched = matching(s, delete.expectedModifyIndex(), why);
                    if (matched == null || !indexAbove(matched, d.index(), why)) {
                        yield null;
                    }
                    yield RegisterState.absent(d.index());
                }
                case KvResult.Deletion d -> s.isPresent() && s.indexKnown()
                        && s.modifyIndex() == delete.expectedModifyIndex()
                        ? reject(why, "the key holds " + s.describe() + ", which matches the expected index")
                        : s;
                case KvResult.Mismatch m -> mismatch(s, delete.expectedModifyIndex(), m, why);
                default -> throw new IllegalArgumentException("unexpected result " + result);
            };
            case KvOp.Acquire acquire -> ((KvResult.LockResult) result).applied()
                    ? acquired(s, acquire, why)
                    : s.holder() != null && !s.holder().equals(acquire.session())
                            ? s
                            : reject(why, "the lock " + lockDescription(s) + ", so session "
                                    + Operation.quote(acquire.session()) + " gets it");
            case KvOp.Release release -> ((KvResult.LockResult) result).applied()
                    ? released(s, release, why)
                    : release.session().equals(s.holder())
                            ? reject(why, "the lock is held by session " + Operation.quote(release.session())
                                    + ", which can release it")
                            : s;
        };
    }

    private static RegisterState acquired(RegisterState s, KvOp.Acquire acquire, StringBuilder why) {
        if (s.holder() != null && !s.holder().equals(acquire.session())) {
            return reject(why, "the lock " + lockDescription(s) + ", session " + Operation.quote(acquire.session())
                    + " cannot take it");
        }
        return s.locked(acquire.value(), acquire.session());
    }

    private static RegisterState released(RegisterState s, KvOp.Release release, StringBuilder why) {
        if (!release.session().equals(s.holder())) {
            return reject(why, "the lock " + lockDescription(s) + ", session " + Operation.quote(release.session())
                    + " cannot release it");
        }
        return s.locked(release.value(), null);
    }

    private static String lockDescription(RegisterState s) {
        return s.holder() == null ? "is free (the key is " + s.describe() + ")"
                : "is held by session " + Operation.quote(s.holder());
    }

    private static RegisterState applyUnknown(RegisterState s, KvOp op, StringBuilder why) {
        return switch (op) {
            case KvOp.Put put -> s.writtenUnknownIndex(put.value());
            case KvOp.Cas cas -> {
                RegisterState matched = matching(s, cas.expectedModifyIndex(), why);
                yield matched == null ? null : matched.writtenUnknownIndex(cas.value());
            }
            case KvOp.Get get -> throw new IllegalArgumentException("unknown gets are dropped before the search");
            case KvOp.Delete delete -> s.isPresent()
                    ? RegisterState.absent(s.floor())
                    : reject(why, "the key is absent, there is nothing to delete");
            case KvOp.CasDelete delete -> {
                RegisterState matched = matching(s, delete.expectedModifyIndex(), why);
                yield matched == null ? null : RegisterState.absent(matched.floor());
            }
            case KvOp.Acquire acquire -> acquired(s, acquire, why);
            case KvOp.Release release -> released(s, release, why);
        };
    }

    /** A 412: the expected index was wrong and the key's modifyIndex is the reported one. */
    private static RegisterState mismatch(RegisterState s, long expected, KvResult.Mismatch m, StringBuilder why) {
        if (m.currentModifyIndex() == expected) {
            return reject(why, "a 412 must report a modifyIndex other than the expected " + expected);
        }
        return observeIndex(s, m.currentModifyIndex(), why);
    }

    /** The state, with an unknown index bound, if its modifyIndex is {@code expected} (0 = absent). */
    private static RegisterState matching(RegisterState s, long expected, StringBuilder why) {
        return observeIndex(s, expected, why);
    }

    /** The state, with an unknown index bound to {@code index}, if its modifyIndex can be {@code index}. */
    private static RegisterState observeIndex(RegisterState s, long index, StringBuilder why) {
        if (index == 0) {
            return s.isPresent() ? reject(why, "the key holds " + s.describe() + ", it is not absent") : s;
        }
        if (!s.isPresent()) {
            return reject(why, "the key is absent, it has no modifyIndex " + index);
        }
        if (s.indexKnown()) {
            return s.modifyIndex() == index
                    ? s
                    : reject(why, "the key holds " + s.describe() + ", not modifyIndex " + index);
        }
        return index > s.floor()
                ? s.withIndex(index)
                : reject(why, "modifyIndex " + index + " is not above " + s.floor()
                        + ", the index of an earlier write to the key");
    }

    /** Whether a new write index is above every write index already applied to the key. */
    private static boolean indexAbove(RegisterState s, long index, StringBuilder why) {
        if (index > s.floor()) {
            return true;
        }
        reject(why, "index " + index + " is not above " + s.floor() + ", the index of an earlier write to the key");
        return false;
    }

    private static RegisterState reject(StringBuilder why, String reason) {
        if (why != null) {
            why.append(reason);
        }
        return null;
    }
}

/**
 * A linearizability checker for histories of Skiff key-value operations, for the
 * Jepsen-style tests of this module (issue #4, item 7).
 *
 * <p>Record with {@link dev.skiff.it.linearizability.History} (thread-safe, one {@code
 * invoke} before each request and one {@code ok} / {@code failed} / {@code unknown} after
 * it), then check with {@link dev.skiff.it.linearizability.LinearizabilityChecker}, which
 * answers a {@link dev.skiff.it.linearizability.Verdict}: linearizable, a violation with a
 * readable explanation, or inconclusive when its {@link dev.skiff.it.linearizability.Budget}
 * runs out.
 *
 * <p>How it works, in short (the module's README has more, and each class its details): each
 * key is a register holding a value, its modifyIndex and its lock holder ({@code RegisterModel}); keys are
 * checked independently; each key's history is searched by Wing–Gong–Lowe with memoization
 * ({@code WglSearch}); operations with an unknown outcome may take effect at any point after
 * their invocation, or never.
 */
package dev.skiff.it.linearizability;

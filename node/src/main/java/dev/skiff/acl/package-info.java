/**
 * ACL tokens (API.md §7): what a token may do ({@link dev.skiff.acl.AclRules}: key-prefix rules
 * and an operator right), the replicated token table ({@link dev.skiff.acl.AclState}, changed
 * only by committed {@link dev.skiff.acl.AclCommand}s that the KV state machine applies), and
 * the hashing of secrets ({@link dev.skiff.acl.TokenSecrets}). Secrets themselves are never
 * stored, logged or replicated: only their SHA-256.
 *
 * <p>Depends on nothing else in the project; the KV state machine and the API use it.
 */
package dev.skiff.acl;

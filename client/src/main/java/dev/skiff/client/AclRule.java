package dev.skiff.client;

/**
 * One key rule of an ACL token (API.md §7).
 *
 * @param prefix the key prefix it covers ("" covers every key)
 * @param access {@code read}, {@code write} or {@code deny}
 */
public record AclRule(String prefix, String access) {
}

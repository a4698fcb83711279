package dev.skiff.client;

import java.util.List;

/**
 * An ACL token as {@code /v1/acl/tokens} describes it.
 *
 * @param accessorId  its public name: what lists show and deletes take
 * @param secretId    the secret to send as the token: only in the answer to its creation
 *                    (never shown again), else ""
 * @param description free text
 * @param rules       its key rules
 * @param operator    {@code none}, {@code read} or {@code write}
 * @param createIndex the Raft index that created it
 */
public record AclToken(String accessorId, String secretId, String description, List<AclRule> rules, String operator,
                       long createIndex) {
}

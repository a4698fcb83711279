package dev.skiff.acl;

import java.util.List;
import java.util.Objects;

/**
 * What one token may do: key rules by prefix and an operator right.
 *
 * <p>Evaluation for a key: the rule with the longest prefix the key starts with decides; among
 * rules of that same prefix, {@code deny} wins over {@code write}, which wins over {@code read}.
 * A key no rule covers is denied (default deny), as in Consul's default-deny policy.
 *
 * @param rules    the key rules, in the order given (order does not matter to evaluation)
 * @param operator the operator right
 */
public record AclRules(List<KeyRule> rules, OperatorAccess operator) {

    /** The most rules one token may carry. */
    public static final int MAX_RULES = 256;

    /** Every right: the management token's. */
    public static final AclRules MANAGEMENT = new AclRules(List.of(new KeyRule("", KeyAccess.WRITE)), OperatorAccess.WRITE);

    /** @throws IllegalArgumentException naming the bad argument */
    public AclRules {
        rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
        Objects.requireNonNull(operator, "operator");
        if (rules.size() > MAX_RULES) {
            throw new IllegalArgumentException("a token has at most " + MAX_RULES + " rules, got " + rules.size());
        }
    }

    /** What this token may do with {@code key}: {@code DENY} when no rule covers it. */
    public KeyAccess accessTo(String key) {
        int bestLength = -1;
        KeyAccess best = KeyAccess.DENY;
        for (KeyRule rule : rules) {
            if (!key.startsWith(rule.prefix())) {
                continue;
            }
            int length = rule.prefix().length();
            if (length > bestLength) {
                bestLength = length;
                best = rule.access();
            } else if (length == bestLength && best != KeyAccess.DENY
                    && (rule.access() == KeyAccess.DENY || rule.access() == KeyAccess.WRITE)) {
                best = rule.access();
            }
        }
        return best;
    }

    /** Whether this token may read {@code key}. */
    public boolean mayRead(String key) {
        return accessTo(key) != KeyAccess.DENY;
    }

    /** Whether this token may write {@code key}. */
    public boolean mayWrite(String key) {
        return accessTo(key) == KeyAccess.WRITE;
    }

    /**
     * Whether this token may write every key that starts with {@code prefix}, whatever keys
     * exist: {@code prefix} itself is writable and no longer rule under it says less than
     * {@code write} (Consul's prefix-write check, for a recursive delete).
     */
    public boolean mayWritePrefix(String prefix) {
        if (!mayWrite(prefix)) {
            return false;
        }
        for (KeyRule rule : rules) {
            if (rule.prefix().startsWith(prefix) && rule.prefix().length() > prefix.length()
                    && rule.access() != KeyAccess.WRITE) {
                return false;
            }
        }
        return true;
    }
}

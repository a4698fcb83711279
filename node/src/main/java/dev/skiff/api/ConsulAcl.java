package dev.skiff.api;

import dev.skiff.acl.AclRules;
import dev.skiff.acl.OperatorAccess;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.util.Optional;

/**
 * The ACL check of the Consul-compatible listener (API.md §7 and §8): the same tokens and
 * rules as the native API's {@link AclGuard}, found where Consul's clients put them and refused
 * as Consul refuses (status 403 and a plain-text body), so that a client reacts as it would to
 * Consul. Runs on the node that receives the request and again on the leader when a follower
 * forwards it (the forwarder passes {@code X-Consul-Token} on; a {@code ?token=} travels in the
 * query string).
 *
 * <p>Where the token is looked for, first found wins: {@code X-Consul-Token} (Consul's clients,
 * {@code CONSUL_HTTP_TOKEN}), {@code X-Skiff-Token} or {@code Authorization: Bearer} (the native
 * headers; Consul accepts Bearer too), {@code ?token=}.
 *
 * <p>What each request needs: a key read ({@code GET /v1/kv/K}, txn {@code get} and the
 * {@code check-*} verbs) {@code read} on the key; a recursive or {@code keys} read any valid
 * token, the answer leaving out keys it may not read, as Consul filters; a key write ({@code
 * PUT}/{@code DELETE /v1/kv/K}, txn {@code set cas lock unlock delete delete-cas}) {@code
 * write} on the key; a recursive delete ({@code ?recurse}, txn {@code delete-tree}) {@code
 * write} on the whole prefix; sessions any valid token (Consul's session rules are per node,
 * which Skiff does not have; a session alone can change nothing, a lock needs the key's
 * {@code write}); {@code /v1/agent/self} operator {@code read}; {@code /v1/status/leader} and
 * {@code /v1/status/peers} nothing, as in Consul. Thread-safe.
 */
final class ConsulAcl {

    /** Consul's token header. */
    static final String TOKEN_HEADER = "X-Consul-Token";
    private static final HttpString TOKEN = new HttpString(TOKEN_HEADER);

    private final AclGuard guard;

    ConsulAcl(AclGuard guard) {
        this.guard = guard;
    }

    /** Whether ACLs are on. */
    boolean enabled() {
        return guard.enabled();
    }

    /**
     * Who the caller is: the rules of its token ({@link AclRules#MANAGEMENT} when ACLs are off).
     *
     * @throws ConsulHandler.ConsulError 403 without a token, with a malformed one or one no node knows
     */
    AclRules authenticate(HttpServerExchange exchange) {
        if (!guard.enabled()) {
            return AclRules.MANAGEMENT;
        }
        // Only a stale read is checked against this node's table as it is (stale like the data
        // it reads); a write, whatever its query says, is checked against a table at least as new
        // as the leader's commit index, since a follower proposes most writes itself.
        String method = exchange.getRequestMethod().toString();
        boolean read = method.equals("GET") || method.equals("HEAD");
        if (!(read && RequestParts.ofQuery(exchange.getQueryString()).param("stale") != null)) {
            guard.freshen();
        }
        HeaderValues header = exchange.getRequestHeaders().get(TOKEN);
        if (header != null && header.size() > 1) {
            throw new ConsulHandler.ConsulError(403, "ACL not found: " + TOKEN_HEADER
                    + " is given more than once; send one token");
        }
        String secret = presentedToken(exchange).orElseThrow(() -> new ConsulHandler.ConsulError(403,
                "Permission denied: this cluster requires an ACL token; send it in " + TOKEN_HEADER
                        + " (CONSUL_HTTP_TOKEN for Consul's clients) or as ?token="));
        try {
            return guard.rulesOf(secret);
        } catch (ApiException e) {
            // Consul's words first: clients match on them; ours after say what to do.
            throw new ConsulHandler.ConsulError(403, "ACL not found: " + e.getMessage());
        }
    }

    /** The token the request carries, if any, from the first place that has one (see the class comment). */
    static Optional<String> presentedToken(HttpServerExchange exchange) {
        HeaderValues header = exchange.getRequestHeaders().get(TOKEN);
        if (header != null && !header.isEmpty() && !header.getFirst().isBlank()) {
            return Optional.of(header.getFirst().trim());
        }
        Optional<String> nativeToken = AclGuard.presentedToken(exchange).filter(t -> !t.isEmpty());
        if (nativeToken.isPresent()) {
            return nativeToken;
        }
        String query = RequestParts.ofQuery(exchange.getQueryString()).param("token");
        return query == null || query.isBlank() ? Optional.empty() : Optional.of(query.trim());
    }

    /** @throws ConsulHandler.ConsulError 403 unless {@code rules} may read {@code key} */
    static void requireRead(AclRules rules, String key) {
        if (!rules.mayRead(key)) {
            throw denied("this token may not read the key \"" + key + "\"");
        }
    }

    /** @throws ConsulHandler.ConsulError 403 unless {@code rules} may write {@code key} */
    static void requireWrite(AclRules rules, String key) {
        if (!rules.mayWrite(key)) {
            throw denied("this token may not write the key \"" + key + "\"");
        }
    }

    /** @throws ConsulHandler.ConsulError 403 unless {@code rules} may write every key under {@code prefix} */
    static void requireWritePrefix(AclRules rules, String prefix) {
        if (!rules.mayWritePrefix(prefix)) {
            throw denied("this token may not write every key under the prefix \"" + prefix
                    + "\" (a recursive delete needs write on the whole prefix)");
        }
    }

    /** @throws ConsulHandler.ConsulError 403 unless {@code rules} have operator {@code needed} */
    static void requireOperator(AclRules rules, OperatorAccess needed, String path) {
        if (!rules.operator().covers(needed)) {
            throw denied("this token's operator right is \"" + rules.operator().json() + "\"; " + path
                    + " needs operator \"" + needed.json() + "\"");
        }
    }

    private static ConsulHandler.ConsulError denied(String why) {
        return new ConsulHandler.ConsulError(403, "Permission denied: " + why);
    }
}

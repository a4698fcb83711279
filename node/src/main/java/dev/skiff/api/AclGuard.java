package dev.skiff.api;

import dev.skiff.acl.AclRules;
import dev.skiff.acl.AclState;
import dev.skiff.acl.AclToken;
import dev.skiff.acl.OperatorAccess;
import dev.skiff.acl.TokenSecrets;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The ACL check at the edge of the API (API.md §7): who the caller is (the token in {@code
 * X-Skiff-Token} or {@code Authorization: Bearer}), and whether that token may make this
 * request. Runs before any handler, on the node that receives the request and again on the
 * leader when a follower forwards it (the forwarder passes the token on).
 *
 * <p>What each route needs:
 * <ul>
 *   <li>{@code /healthz}, {@code /readyz}, {@code /metrics} and the web UI's static files
 *       ({@code /ui/}, which hold no data): nothing;
 *   <li>{@code GET /v1/kv/{key}}: {@code read} on the key; {@code PUT}/{@code DELETE}: {@code write};
 *   <li>{@code GET /v1/kv/?prefix=}: any valid token; the listing leaves out the keys the token
 *       may not read (as Consul filters a recursive read), see {@link #rules};
 *   <li>{@code DELETE /v1/kv/?prefix=}: {@code write} on the whole prefix, checked by the handler;
 *   <li>{@code /v1/txn}: any valid token here; the handler checks each operation's key
 *       ({@code read} for compares and gets, {@code write} for puts and deletes, the whole
 *       prefix for {@code delete-prefix});
 *   <li>{@code /v1/session...}: any valid token (a lock still needs {@code write} on its key);
 *   <li>{@code /v1/watch}: any valid token; the stream leaves out keys the token may not read;
 *   <li>{@code GET /v1/status}, {@code GET /v1/cluster/members}, {@code GET /v1/acl/tokens}:
 *       operator {@code read};
 *   <li>every other {@code /v1/cluster/...}, {@code /v1/snapshot} (also its {@code GET}: a
 *       snapshot holds every value) and {@code /v1/acl/...}: operator {@code write};
 *   <li>any other path: operator {@code write} (a route this class does not know, for example
 *       a newer front end's, is closed to all but operators until it is given its own rule).
 * </ul>
 * Without a token, or with one no node knows: {@code 401 unauthenticated}; a known token
 * without the right: {@code 403 forbidden}. Neither message ever contains the token.
 *
 * <p>The management token ({@code --acl-bootstrap-token-file}) is known to this node from its
 * own file, hashed at start: it works before any ACL entry is committed, and on every node
 * given the same file. Other tokens are the replicated table's.
 *
 * <p><b>Freshness.</b> A follower serves writes and reads itself (its Raft forwards commands to
 * the leader), so before it checks a token for anything but a {@code stale} read it brings its
 * table up to the leader's commit index ({@link #freshen}): a token deleted on the leader is
 * refused on every node from then on, as if the leader had checked it. A {@code stale} read is
 * checked against the node's own table, stale like the data it reads. Thread-safe.
 */
final class AclGuard {

    /** The token header (API.md §7). */
    static final String TOKEN_HEADER = "X-Skiff-Token";
    private static final AttachmentKey<AclRules> RULES = AttachmentKey.create(AclRules.class);
    private static final String BEARER = "Bearer ";

    private final byte[] managementHash;
    private final Supplier<AclState> tokens;
    private final Runnable freshen;

    /**
     * @param managementHash SHA-256 of the management token, or null when ACLs are off
     * @param tokens         the replicated token table, current
     * @param freshen        returns once {@code tokens} is at least as new as the leader's
     *                       commit index (at once on the leader); may block, throws ApiException
     */
    AclGuard(byte[] managementHash, Supplier<AclState> tokens, Runnable freshen) {
        this.managementHash = managementHash == null ? null : managementHash.clone();
        this.tokens = tokens;
        this.freshen = freshen;
    }

    /** A guard that lets everything through. */
    static AclGuard off() {
        return new AclGuard(null, AclState::empty, () -> { });
    }

    /** Brings the token table up to the leader's commit index (see the class comment). Blocks on a follower. */
    void freshen() {
        freshen.run();
    }

    /** Whether ACLs are on. */
    boolean enabled() {
        return managementHash != null;
    }

    /**
     * Checks the request against the table above; returns normally if it may go on.
     *
     * @throws ApiException 401 or 403
     */
    void authorize(HttpServerExchange exchange, String path) {
        if (!enabled() || isPublic(path)) {
            return;
        }
        String method = exchange.getRequestMethod().toString();
        boolean looks = method.equals("GET") || method.equals("HEAD");
        if (!(looks && "stale".equals(RequestParts.ofQuery(exchange.getQueryString()).param("consistency")))) {
            freshen();
        }
        AclRules rules = authenticate(exchange);
        exchange.putAttachment(RULES, rules);
        if (path.startsWith("/v1/kv/") && path.length() > "/v1/kv/".length()) {
            String key = RequestParts.decodePath(path.substring("/v1/kv/".length()));
            if (looks ? !rules.mayRead(key) : !rules.mayWrite(key)) {
                throw forbidden("this token may not " + (looks ? "read" : "write") + " the key " + key);
            }
        } else if (path.equals("/v1/kv/") || path.equals("/v1/kv")) {
            return; // a listing is filtered, a recursive delete checked, by the handler
        } else if (path.equals("/v1/txn") || path.equals("/v1/session") || path.startsWith("/v1/session/")
                || path.equals("/v1/watch")) {
            return; // a transaction's keys are checked by its handler; sessions need a valid token
        } else if (looks && (path.equals("/v1/status") || path.equals("/v1/cluster/members")
                || path.equals("/v1/acl/tokens"))) {
            requireOperator(rules, OperatorAccess.READ, path);
        } else {
            requireOperator(rules, OperatorAccess.WRITE, path);
        }
    }

    /**
     * Whether an ordinary {@code PUT /v1/kv/{key}} may go on without a word: true when ACLs are
     * off or the token may write the key; false for anything the worker path must answer (a
     * missing or unknown token, no right, a path that does not decode). Never throws.
     */
    boolean mayPut(HttpServerExchange exchange, String rawKey) {
        return mayAccess(exchange, rawKey, true);
    }

    /** Like {@link #mayPut}, for an ordinary {@code GET /v1/kv/{key}}: the token may read the key. */
    boolean mayGet(HttpServerExchange exchange, String rawKey) {
        return mayAccess(exchange, rawKey, false);
    }

    private boolean mayAccess(HttpServerExchange exchange, String rawKey, boolean write) {
        if (!enabled()) {
            return true;
        }
        try {
            AclRules rules = authenticate(exchange);
            String key = RequestParts.decodePath(rawKey);
            return write ? rules.mayWrite(key) : rules.mayRead(key);
        } catch (ApiException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The rules of the request's token, once {@link #authorize} passed; all rights when ACLs are off. */
    static AclRules rules(HttpServerExchange exchange) {
        AclRules rules = exchange.getAttachment(RULES);
        return rules == null ? AclRules.MANAGEMENT : rules;
    }

    /** The token the request carries, if any: {@code X-Skiff-Token}, else {@code Authorization: Bearer}. */
    static Optional<String> presentedToken(HttpServerExchange exchange) {
        HeaderValues header = exchange.getRequestHeaders().get(TOKEN_HEADER);
        if (header != null && !header.isEmpty()) {
            return Optional.of(header.getFirst().trim());
        }
        HeaderValues authorization = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        if (authorization != null && !authorization.isEmpty()) {
            String value = authorization.getFirst().trim();
            if (value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return Optional.of(value.substring(BEARER.length()).trim());
            }
        }
        return Optional.empty();
    }

    private AclRules authenticate(HttpServerExchange exchange) {
        HeaderValues header = exchange.getRequestHeaders().get(TOKEN_HEADER);
        if (header != null && header.size() > 1) {
            throw unauthenticated(TOKEN_HEADER + " is given more than once; send one token");
        }
        String secret = presentedToken(exchange).orElseThrow(() -> unauthenticated(
                "this cluster requires an ACL token: send it in the " + TOKEN_HEADER
                        + " header or as Authorization: Bearer (the skiff command reads SKIFF_TOKEN)"));
        return rulesOf(secret);
    }

    /**
     * The rules of the token whose secret is {@code secret}, for a front end that finds the
     * token elsewhere (the Consul listener's {@code X-Consul-Token}).
     *
     * @throws ApiException 401 when it is malformed or no node knows it
     */
    AclRules rulesOf(String secret) {
        String problem = TokenSecrets.problem(secret);
        if (problem != null) {
            throw unauthenticated("the ACL token is malformed (" + problem + ")");
        }
        byte[] hash = TokenSecrets.hash(secret);
        if (TokenSecrets.sameHash(hash, managementHash)) {
            return AclRules.MANAGEMENT;
        }
        return tokens.get().bySecretHash(hash).map(AclToken::rules).orElseThrow(() -> unauthenticated(
                "the ACL token is not known here: it was deleted, belongs to another cluster, or was created so "
                        + "recently that this node has not applied it yet"));
    }

    private static void requireOperator(AclRules rules, OperatorAccess needed, String path) {
        if (!rules.operator().covers(needed)) {
            throw forbidden("this token's operator right is \"" + rules.operator().json() + "\"; " + path
                    + " needs operator \"" + needed.json() + "\"");
        }
    }

    private static boolean isPublic(String path) {
        return path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")
                || path.equals("/ui") || path.startsWith("/ui/");
    }

    private static ApiException unauthenticated(String message) {
        return new ApiException(401, "unauthenticated", message);
    }

    private static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }
}

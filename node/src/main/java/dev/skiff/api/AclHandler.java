package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.acl.AclCommand;
import dev.skiff.acl.AclCommandCodec;
import dev.skiff.acl.AclResult;
import dev.skiff.acl.AclRules;
import dev.skiff.acl.AclToken;
import dev.skiff.acl.KeyAccess;
import dev.skiff.acl.KeyRule;
import dev.skiff.acl.OperatorAccess;
import dev.skiff.acl.TokenSecrets;
import dev.skiff.raft.ApplyResult;
import dev.skiff.raft.RaftState;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/acl/tokens} (API.md §7): {@code POST} creates a token and answers its secret, the
 * only time it is ever shown; {@code GET} lists tokens (never a secret or a hash); {@code DELETE
 * /v1/acl/tokens/{accessorId}} removes one. Creates and deletes go to the leader, which makes
 * the secret, and are replicated as ACL commands holding only the secret's SHA-256. Runs on a
 * virtual worker thread, after {@link AclGuard} checked the operator right.
 */
final class AclHandler {

    private static final int MAX_BODY = 64 * 1024;
    private static final List<String> FIELDS = List.of("description", "rules", "operator");
    private static final String SHAPE = "{\"description\":\"...\",\"rules\":[{\"prefix\":\"app/\",\"access\":\"read\"}],"
            + "\"operator\":\"none\"}";

    private final ApiContext ctx;

    AclHandler(ApiContext ctx) {
        this.ctx = ctx;
    }

    /** {@code /v1/acl/tokens} ({@code accessorPath} null) or {@code /v1/acl/tokens/{accessorPath}}. */
    void tokens(HttpServerExchange exchange, String accessorPath) {
        String method = exchange.getRequestMethod().toString();
        RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of());
        if (accessorPath == null) {
            switch (method) {
                case "GET" -> list(exchange);
                case "POST" -> create(exchange);
                default -> throw new ApiException(405, "method_not_allowed", method
                        + " is not allowed on /v1/acl/tokens; use GET to list tokens or POST to create one");
            }
            return;
        }
        if (!method.equals("DELETE")) {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on a token; use DELETE to remove it");
        }
        String accessorId = RequestParts.decodePath(accessorPath);
        if (!AclToken.validAccessorId(accessorId)) {
            throw ApiException.badRequest("malformed accessor id: 1.." + AclToken.MAX_ACCESSOR_ID_LENGTH
                    + " characters of [A-Za-z0-9-], as GET /v1/acl/tokens lists them");
        }
        delete(exchange, accessorId);
    }

    private void list(HttpServerExchange exchange) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AclToken t : ctx.kv().acl().tokens()) {
            out.add(describe(t));
        }
        Responses.json(exchange, 200, Map.of("tokens", out));
    }

    private void create(HttpServerExchange exchange) {
        byte[] body = readBody(exchange);
        NewToken spec = NewToken.parse(body);
        if (!onLeaderOrForward(exchange, body)) {
            return;
        }
        String secret = TokenSecrets.newSecret();
        AclToken token = new AclToken(TokenSecrets.newAccessorId(), TokenSecrets.hash(secret), spec.description(),
                spec.rules(), 0);
        ApplyResult applied = ctx.await(ctx.raft().apply(AclCommandCodec.encode(new AclCommand.CreateToken(token)),
                ctx.timeout()), true);
        switch ((AclResult) applied.response()) {
            case AclResult.Created c -> {
                Map<String, Object> answer = describe(ctx.kv().acl().byAccessorId(c.accessorId())
                        .orElse(new AclToken(token.accessorId(), token.secretHash(), token.description(), token.rules(),
                                c.index())));
                answer.put("secretId", secret);
                answer.put("index", c.index());
                Responses.json(exchange, 200, answer);
            }
            case AclResult.Refused r -> throw new ApiException(409, "conflict", "the token was not created: "
                    + r.reason() + "; send the request again");
            case AclResult.Deleted d -> throw new IllegalStateException("a create answered as a delete at " + d.index());
        }
    }

    private void delete(HttpServerExchange exchange, String accessorId) {
        if (!onLeaderOrForward(exchange, null)) {
            return;
        }
        ApplyResult applied = ctx.await(ctx.raft().apply(AclCommandCodec.encode(new AclCommand.DeleteToken(accessorId)),
                ctx.timeout()), true);
        if (!(applied.response() instanceof AclResult.Deleted d)) {
            throw new IllegalStateException("a delete answered " + applied.response());
        }
        Responses.json(exchange, 200, Map.of("index", d.index(), "deleted", d.existed()));
    }

    private static Map<String, Object> describe(AclToken t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accessorId", t.accessorId());
        m.put("description", t.description());
        List<Map<String, Object>> rules = new ArrayList<>();
        for (KeyRule r : t.rules().rules()) {
            rules.add(Map.of("prefix", r.prefix(), "access", r.access().json()));
        }
        m.put("rules", rules);
        m.put("operator", t.rules().operator().json());
        m.put("createIndex", t.createIndex());
        return m;
    }

    /** A token as {@code POST /v1/acl/tokens} describes it, validated. */
    private record NewToken(String description, AclRules rules) {

        static NewToken parse(byte[] body) {
            JsonBody json = JsonBody.parseObject(body, FIELDS, SHAPE);
            JsonNode d = json.node("description");
            if (d != null && !d.isTextual()) {
                throw ApiException.badRequest("field 'description' must be a string");
            }
            String description = d == null ? "" : d.asText();
            if (description.length() > AclToken.MAX_DESCRIPTION_LENGTH) {
                throw ApiException.badRequest("field 'description' is longer than " + AclToken.MAX_DESCRIPTION_LENGTH
                        + " characters");
            }
            OperatorAccess operator = OperatorAccess.NONE;
            if (json.has("operator")) {
                try {
                    operator = OperatorAccess.parse(json.optionalText("operator").orElse(""));
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("field 'operator': " + e.getMessage());
                }
            }
            return new NewToken(description, new AclRules(rules(json.node("rules")), operator));
        }

        private static List<KeyRule> rules(JsonNode array) {
            if (array == null) {
                return List.of();
            }
            if (!array.isArray()) {
                throw ApiException.badRequest("field 'rules' must be an array of {\"prefix\":\"app/\",\"access\":"
                        + "\"read\"|\"write\"|\"deny\"}");
            }
            if (array.size() > AclRules.MAX_RULES) {
                throw ApiException.badRequest("field 'rules' has " + array.size() + " rules; a token has at most "
                        + AclRules.MAX_RULES);
            }
            List<KeyRule> rules = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                JsonNode r = array.get(i);
                String where = "rules[" + i + "]";
                if (!r.isObject() || r.size() != 2 || !r.path("prefix").isTextual() || !r.path("access").isTextual()) {
                    throw ApiException.badRequest(where + " must be an object with exactly a string 'prefix' and a "
                            + "string 'access', for example {\"prefix\":\"app/\",\"access\":\"read\"}");
                }
                try {
                    rules.add(new KeyRule(r.get("prefix").asText(), KeyAccess.parse(r.get("access").asText())));
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest(where + ": " + e.getMessage());
                }
            }
            return rules;
        }
    }

    private boolean onLeaderOrForward(HttpServerExchange exchange, byte[] body) {
        if (ctx.raft().state() == RaftState.LEADER) {
            return true;
        }
        ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null),
                body == null ? null : () -> (InputStream) new ByteArrayInputStream(body), true);
        return false;
    }

    private static byte[] readBody(HttpServerExchange exchange) {
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new ApiException(413, "body_too_large", "the body is over " + MAX_BODY
                        + " bytes; a token request is a small JSON object");
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("the connection broke before the whole request body arrived; send it again");
        }
    }
}

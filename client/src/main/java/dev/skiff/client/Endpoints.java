package dev.skiff.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes a client may talk to, and which one it tries first: the last one that answered, or
 * the leader once the client knows which endpoint is the leader's (from {@code X-Skiff-Leader}
 * and the members' API addresses). Thread-safe.
 */
final class Endpoints {

    private final List<URI> uris;
    private final AtomicInteger preferred = new AtomicInteger();
    /** Member id → index in {@link #uris}, for the members whose API address is one of ours. */
    private final Map<String, Integer> byMemberId = new ConcurrentHashMap<>();

    Endpoints(List<String> endpoints, boolean tls) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoints: give at least one host:port");
        }
        List<URI> parsed = new ArrayList<>();
        for (String e : endpoints) {
            parsed.add(parse(e.trim(), tls));
        }
        this.uris = List.copyOf(parsed);
    }

    /** {@code host:port} (http, or https with TLS) or a full {@code http(s)://host:port} URL. */
    static URI parse(String endpoint, boolean tls) {
        String url = endpoint.contains("://") ? endpoint : (tls ? "https://" : "http://") + endpoint;
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not host:port or http(s)://host:port", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getPort() < 0
                || (uri.getPath() != null && !uri.getPath().isEmpty())) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "' is not host:port or http(s)://host:port");
        }
        return uri;
    }

    int size() {
        return uris.size();
    }

    URI get(int index) {
        return uris.get(Math.floorMod(index, uris.size()));
    }

    int preferred() {
        return preferred.get();
    }

    /** The endpoint at {@code index} answered: try it first next time. */
    void answered(int index) {
        preferred.set(Math.floorMod(index, uris.size()));
    }

    /** A node named {@code leaderId} as the leader: prefer its endpoint if we know it. */
    void leaderIs(String leaderId) {
        Integer i = byMemberId.get(leaderId);
        if (i != null) {
            preferred.set(i);
        }
    }

    /** Learns which members' API addresses are among the endpoints. */
    void learn(List<Member> members) {
        for (Member m : members) {
            for (int i = 0; i < uris.size(); i++) {
                URI u = uris.get(i);
                if (m.apiAddress().equalsIgnoreCase(u.getHost() + ":" + u.getPort())) {
                    byMemberId.put(m.id(), i);
                }
            }
        }
    }

    @Override
    public String toString() {
        return uris.toString();
    }
}

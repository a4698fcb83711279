package dev.skiff.api;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a cluster member's id and addresses may look like (API.md §6), shared by the membership
 * API and the {@code --id} flag, so that a node can always be added under the id it runs with.
 */
public final class MemberRules {

    /** Ids: a letter or digit, then up to 63 letters, digits, dots, underscores or dashes. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Host names and IPv4 literals: letters, digits, dots, dashes (DNS names are at most 253 characters). */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    /** IPv6 literals, bracketed. */
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}]");

    private MemberRules() {
    }

    /** What is wrong with {@code id} as a member id, or empty when it is valid. */
    public static Optional<String> idProblem(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.of("a member id must not be empty");
        }
        if (!ID.matcher(id).matches()) {
            return Optional.of("'" + shorten(id) + "' is not a valid member id: use 1 to 64 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit");
        }
        return Optional.empty();
    }

    /**
     * What is wrong with {@code address} as a member's {@code host:port} (a host name, an IPv4
     * literal or a bracketed IPv6 literal, and a port 1..65535), or empty when it is valid.
     */
    public static Optional<String> addressProblem(String address) {
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            return Optional.of("'" + shorten(address) + "' has no port: give host:port, e.g. 10.0.0.5:9001");
        }
        String host = address.substring(0, colon);
        String port = address.substring(colon + 1);
        if (host.isEmpty()) {
            return Optional.of("'" + shorten(address) + "' has no host: give host:port, e.g. 10.0.0.5:9001");
        }
        if (!HOST_NAME.matcher(host).matches() && !IPV6.matcher(host).matches()) {
            return Optional.of("'" + shorten(address) + "' is not host:port: the host must be a name, an IPv4 address or "
                    + "a bracketed IPv6 address (no scheme, path or spaces)");
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            return Optional.of("'" + shorten(address) + "' has a bad port: it must be 1..65535");
        }
        return Optional.empty();
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}

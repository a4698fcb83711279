package dev.skiff.transport;

/**
 * A {@code host:port} transport address; IPv6 hosts are bracketed ({@code [::1]:9001}).
 *
 * @param host the host name or literal, without brackets
 * @param port 0..65535 (0 only for binding to a free port)
 */
record HostPort(String host, int port) {

    /**
     * Parses {@code address}.
     *
     * @param field names the setting in the error message
     * @throws IllegalArgumentException naming {@code field} if it is not {@code host:port}
     */
    static HostPort parse(String address, String field) {
        int colon = address == null ? -1 : address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException(field + " must be host:port, got '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + " has a bad port: '" + address + "'");
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException(field + " must be host:port with port 0..65535, got '" + address + "'");
        }
        return new HostPort(host, port);
    }

    /** The {@code host:port} form, bracketing IPv6 literals. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

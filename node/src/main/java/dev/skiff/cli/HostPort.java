package dev.skiff.cli;

/**
 * A {@code host:port} given on the command line.
 *
 * @param host the host or IP literal
 * @param port the port, 0..65535
 */
record HostPort(String host, int port) {

    /** @throws IllegalArgumentException naming {@code flag} when {@code value} is not host:port */
    static HostPort parse(String value, String flag) {
        int colon = value == null ? -1 : value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(flag + " must be host:port, got '" + value + "'");
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new HostPort(value.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " has a bad port in '" + value + "' (0..65535)");
        }
    }

    boolean isWildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    boolean isLoopback() {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}

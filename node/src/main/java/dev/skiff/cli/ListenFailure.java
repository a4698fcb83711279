package dev.skiff.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns a failure to open a listening socket into a message that names the flag, the address,
 * the cause and the fix, instead of the JDK's {@code java.net.BindException: Address already in
 * use}. An address in use may be free on the next try (the process holding it is stopping), so
 * it is a runtime failure (exit 1, a supervisor may restart); an address that can never work
 * on this machine is a configuration error (exit 2).
 */
final class ListenFailure {

    private ListenFailure() {
    }

    /**
     * Throws the operator's version of {@code failure} if it is a failure to listen on
     * {@code address}; returns when it is something else.
     *
     * @param what what listens there, e.g. "the client API"
     * @param flag the flag that gave the address
     * @throws IOException              (exit 1) for an address in use
     * @throws IllegalArgumentException (exit 2) for an address that cannot work here
     */
    static void rethrowIfListenFailure(Throwable failure, String what, String flag, HostPort address) throws IOException {
        Optional<Exception> translated = translate(failure, what, flag, address);
        if (translated.isPresent()) {
            if (translated.get() instanceof IOException io) {
                throw io;
            }
            throw (IllegalArgumentException) translated.get();
        }
    }

    private static Optional<Exception> translate(Throwable failure, String what, String flag, HostPort address) {
        String prefix = "cannot listen on " + address + " for " + what + " (" + flag + "): ";
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException bind) {
                String reason = String.valueOf(bind.getMessage()).toLowerCase(Locale.ROOT);
                if (reason.contains("in use")) {
                    return Optional.of(new IOException(prefix + "the address is already in use by another process (perhaps "
                            + "another skiff node); stop that process, or give " + flag + " a free port"));
                }
                if (reason.contains("assign requested address")) {
                    return Optional.of(new IllegalArgumentException(prefix + address.host() + " is not an address of this "
                            + "machine; give one of its addresses, or 0.0.0.0 together with " + advertiseFlag(flag)));
                }
                if (reason.contains("permission denied")) {
                    return Optional.of(new IllegalArgumentException(prefix + "permission denied; ports below 1024 need root "
                            + "or the CAP_NET_BIND_SERVICE capability: give " + flag + " a port from 1024 up"));
                }
                return Optional.of(new IOException(prefix + bind.getMessage()));
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return Optional.of(new IllegalArgumentException(prefix + "the host name '" + address.host()
                        + "' does not resolve; give an IP address or a name this machine can resolve"));
            }
        }
        return Optional.empty();
    }

    private static String advertiseFlag(String flag) {
        return flag.equals("--api-addr") ? "--advertise-api" : "--advertise-raft";
    }
}

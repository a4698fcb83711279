package dev.skiff.it.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks ports on 127.0.0.1 for test nodes. Ports come from below the kernel's ephemeral range
 * (where binding port 0 and outgoing connections take theirs): a node that was killed must
 * find its port free again when it restarts, and a port from the ephemeral range may meanwhile
 * have become the local end of some connection. Each port is handed out once per JVM and is
 * checked bindable when handed out.
 *
 * <p>Thread-safe.
 */
public final class FreePorts {

    private static final int LOWEST = 20_000;
    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {
    }

    /** A port that was free a moment ago and that this JVM has not handed out before. */
    public static synchronized int next() {
        int high = ephemeralLow();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = high > LOWEST + 1000 ? random.nextInt(LOWEST, high) : bindAny();
            if (handedOut.contains(port)) {
                continue;
            }
            if (bindable(port)) {
                handedOut.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free port found on 127.0.0.1 below " + high);
    }

    /** The first of {@code n} consecutive ports handed out like {@link #next()} (for {@code skiff demo}). */
    public static synchronized int nextRange(int n) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int base = next();
            boolean free = true;
            for (int p = base + 1; p < base + n && free; p++) {
                free = !handedOut.contains(p) && bindable(p);
            }
            if (free) {
                for (int p = base + 1; p < base + n; p++) {
                    handedOut.add(p);
                }
                return base;
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports found on 127.0.0.1");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int bindAny() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind a port on 127.0.0.1", e);
        }
    }

    /** The bottom of the ephemeral range (Linux), or 0 when unknown: then bind port 0. */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}

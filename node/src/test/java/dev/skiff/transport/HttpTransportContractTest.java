package dev.skiff.transport;

import dev.skiff.raft.Transport;
import dev.skiff.raft.contract.TransportContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** The {@link TransportContract} on {@link HttpTransport}, over 127.0.0.1 on free ports. */
class HttpTransportContractTest extends TransportContract {

    @Override
    protected Transport newTransport() {
        return new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0"));
    }

    @Override
    protected String unreachableAddress() throws IOException {
        return "127.0.0.1:" + freePort();
    }

    /** A port that was free a moment ago; nothing listens on it unless someone else just took it. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

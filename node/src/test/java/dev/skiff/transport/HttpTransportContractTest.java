package dev.skiff.transport;

import dev.skiff.FreePorts;
import dev.skiff.raft.Transport;
import dev.skiff.raft.contract.TransportContract;
import java.io.IOException;

/** The {@link TransportContract} on {@link HttpTransport}, over 127.0.0.1 on free ports. */
class HttpTransportContractTest extends TransportContract {

    @Override
    protected Transport newTransport() {
        return new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0"));
    }

    @Override
    protected String unreachableAddress() throws IOException {
        return "127.0.0.1:" + FreePorts.next();
    }
}

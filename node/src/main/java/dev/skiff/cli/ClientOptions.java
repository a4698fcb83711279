package dev.skiff.cli;

import picocli.CommandLine.Option;

/** The node a client command talks to. */
final class ClientOptions {

    @Option(names = "--addr", defaultValue = "127.0.0.1:8001",
            description = "API address of any node (default ${DEFAULT-VALUE}; env SKIFF_ADDR).")
    String addr;

    ApiClient client() {
        return new ApiClient(addr);
    }
}

package dev.skiff.cli;

import java.net.http.HttpRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code skiff status}: prints a node's {@code /v1/status}. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a node's Raft status (JSON).")
final class StatusCommand implements Callable<Integer> {

    @Mixin ClientOptions opts;

    @Override
    public Integer call() throws Exception {
        return KvCommands.finish(opts.client().send("GET", "/v1/status", HttpRequest.BodyPublishers.noBody()), false);
    }
}

package dev.skiff.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code skiff demo}: a local 3-node cluster on 127.0.0.1 with local-disk storage, in one
 * process; prints the endpoints and curl lines that work as printed; Ctrl-C stops it.
 *
 * <p>{@code --cloud}: the same cluster the way it runs on AWS, against emulators started in
 * this process ({@link CloudEmulators}): term and vote in DynamoDB, the three identical nodes
 * find each other and elect who bootstraps through the DynamoDB discovery table (no
 * {@code --bootstrap}, no {@code --join}), and snapshots go to S3 when S3Proxy is available.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local 3-node cluster on 127.0.0.1 (Ctrl-C stops it).")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data/demo", description = "Where the nodes keep their data (default ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--consul-port", defaultValue = "8501",
            description = "First Consul-compatible API port; nodes use 3 consecutive ports (default ${DEFAULT-VALUE}).")
    int consulPort;
    @Option(names = "--api-port", defaultValue = "8001", description = "First API port; nodes use 3 consecutive ports (default ${DEFAULT-VALUE}).")
    int apiPort;
    @Option(names = "--raft-port", defaultValue = "9001", description = "First Raft port; nodes use 3 consecutive ports (default ${DEFAULT-VALUE}).")
    int raftPort;
    @Option(names = "--cloud", description = "Use DynamoDB (and S3) emulators started in-process: stable store, discovery, snapshots.")
    boolean cloud;
    @Option(names = "--tls", description = "TLS on both ports: certificates from skiff tls init in DATA-DIR/tls "
            + "(written on first use), mutual TLS between nodes, HTTPS for clients.")
    boolean tls;
    @Option(names = "--acl", description = "Turn ACLs on: writes a management token to DATA-DIR/acl-bootstrap-token "
            + "(kept across runs) and prints how to use it.")
    boolean acl;
    @Option(names = "--emulators", description = "Directory of the emulators for --cloud, with dynamodb/ and s3proxy/ (mvn -q -pl emulators package: emulators/target/emulators).")
    Path emulators;

    @Override
    public Integer call() throws Exception {
        for (int i = 0; i < 3; i++) {
            requireFree(apiPort + i, "--api-port");
            requireFree(consulPort + i, "--consul-port");
            requireFree(raftPort + i, "--raft-port");
        }
        List<SkiffNode> nodes = new ArrayList<>();
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        PrintStream out = System.out;
        CloudEmulators emulated = cloud ? CloudEmulators.start(dataDir, emulators) : null;
        try {
            Path tlsDir = tls ? dataDir.resolve("tls") : null;
            if (tlsDir != null && !java.nio.file.Files.exists(TlsCommands.caCert(tlsDir))) {
                java.nio.file.Files.createDirectories(dataDir);
                TlsCommands.init(tlsDir, List.of("n1", "n2", "n3"), dev.skiff.tls.DevCertificates.LOCAL_SANS);
            }
            String token = acl ? DemoAclToken.readOrCreate(dataDir) : null;
            nodes.addAll(startNodes(dataDir, apiPort, raftPort, emulated, tlsDir, token));
            awaitFormed(nodes, Duration.ofSeconds(60));
            String leader = nodes.get(0).raft.leader().map(s -> s.id()).orElse("?");
            out.println();
            out.println("Skiff demo: 3 nodes on 127.0.0.1, data in " + dataDir.toAbsolutePath() + ", leader " + leader);
            if (emulated != null) {
                printCloud(out, emulated);
            }
            String scheme = tls ? "https" : "http";
            for (SkiffNode n : nodes) {
                out.printf("  %s  api %s://%s  raft %s%s%n", n.settings.id(), scheme, n.settings.apiAdvertise(),
                        n.settings.raftAdvertise(), tls ? " (mutual TLS)" : "");
            }
            for (int i = 0; i < nodes.size(); i++) {
                nodes.get(i).openConsul(new HostPort("127.0.0.1", consulPort + i));
            }
            String a1 = scheme + "://127.0.0.1:" + apiPort;
            String a2 = scheme + "://127.0.0.1:" + (apiPort + 1);
            String a3 = scheme + "://127.0.0.1:" + (apiPort + 2);
            String curl = tls ? "curl -s --cacert " + TlsCommands.caCert(dataDir.resolve("tls")) : "curl -s";
            out.println();
            if (tls) {
                out.println("TLS certificates (development CA) in " + dataDir.resolve("tls"));
            }
            if (token != null) {
                DemoAclToken.printHowTo(out, dataDir, curl, a1, a2, a3);
            } else {
                out.println("Try (any node answers; followers forward to the leader):");
                out.println("  " + curl + " -X PUT --data-binary 'hello, skiff' " + a2 + "/v1/kv/greeting");
                out.println("  " + curl + " " + a3 + "/v1/kv/greeting");
                out.println("  " + curl + " '" + a1 + "/v1/kv/greeting?consistency=consistent'");
                out.println("  " + curl + " -X PUT --data-binary 'only if new' '" + a1 + "/v1/kv/greeting?cas=0'");
                out.println("  " + curl + " '" + a1 + "/v1/kv/?prefix=gr'");
                out.println("  " + curl + " " + a1 + "/v1/status");
            }
            if (tls) {
                out.println("  SKIFF_CA_FILE=" + TlsCommands.caCert(dataDir.resolve("tls")) + " bin/skiff status --addr 127.0.0.1:"
                        + apiPort);
            }
            out.println();
            out.println("Web UI (cluster, keys, snapshots): " + a1 + "/ui/");
            out.println();
            out.println("Consul-compatible API (Consul's clients, Terraform's consul backend) on ports " + consulPort + "-"
                    + (consulPort + 2) + ":");
            out.println("  export CONSUL_HTTP_ADDR=127.0.0.1:" + consulPort);
            if (tls) {
                // The Consul listener speaks HTTPS with the node's certificate, as the api port does.
                out.println("  export CONSUL_HTTP_SSL=true CONSUL_CACERT=" + TlsCommands.caCert(dataDir.resolve("tls")));
            }
            String consulUrl = scheme + "://127.0.0.1:" + consulPort + "/v1/kv/app/config";
            if (token != null) {
                // Consul's clients send CONSUL_HTTP_TOKEN as X-Consul-Token.
                out.println("  export CONSUL_HTTP_TOKEN=$(cat " + dataDir.resolve(DemoAclToken.FILE) + ")");
                out.println("  " + curl + " -H \"X-Consul-Token: $CONSUL_HTTP_TOKEN\" -X PUT --data-binary v1 " + consulUrl);
            } else {
                out.println("  " + curl + " -X PUT --data-binary v1 " + consulUrl);
            }
            out.println();
            out.println("Ctrl-C stops the cluster.");
            out.flush();
            stop.await();
            return 0;
        } finally {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                nodes.get(i).close(false);
            }
            if (emulated != null) {
                emulated.close();
            }
            out.println("demo stopped");
        }
    }

    /**
     * Starts the three demo nodes: n1 bootstraps and the others join it, or, on the emulators,
     * all three start alike and the discovery table sorts them out.
     */
    static List<SkiffNode> startNodes(Path dataDir, int apiPort, int raftPort, CloudEmulators emulated) throws IOException {
        return startNodes(dataDir, apiPort, raftPort, emulated, null, null);
    }

    /**
     * {@link #startNodes(Path, int, int, CloudEmulators)} with TLS from {@code tlsDir} (written by
     * tls init, or null for none), and ACLs on when {@code aclToken} (the management token) is given.
     */
    static List<SkiffNode> startNodes(Path dataDir, int apiPort, int raftPort, CloudEmulators emulated, Path tlsDir,
                                      String aclToken)
            throws IOException {
        List<SkiffNode> nodes = new ArrayList<>();
        String scheme = tlsDir == null ? "http" : "https";
        try {
            for (int i = 1; i <= 3; i++) {
                HostPort api = new HostPort("127.0.0.1", apiPort + i - 1);
                HostPort raft = new HostPort("127.0.0.1", raftPort + i - 1);
                boolean first = emulated == null && i == 1;
                List<URI> join = emulated != null || i == 1 ? List.of() : List.of(URI.create(scheme + "://127.0.0.1:" + apiPort));
                java.util.Optional<dev.skiff.tls.NodeTls> nodeTls = tlsDir == null ? java.util.Optional.empty()
                        : java.util.Optional.of(new dev.skiff.tls.NodeTls(dev.skiff.tls.ReloadingTls.load(new dev.skiff.tls.TlsFiles(
                                TlsCommands.nodeCert(tlsDir, "n" + i), TlsCommands.nodeKey(tlsDir, "n" + i),
                                TlsCommands.caCert(tlsDir))), false));
                nodes.add(SkiffNode.start(new NodeSettings("n" + i, api, raft, api, raft, dataDir.resolve("n" + i),
                        dataDir.resolve("n" + i).resolve("snapshots"), first, join, null,
                        NodeSettings.DEFAULT_MAX_VALUE_BYTES, NodeSettings.DEFAULT_REQUEST_TIMEOUT,
                        dev.skiff.raft.RaftConfig.defaults("n" + i),
                        emulated == null ? StorageSettings.local() : emulated.storage()), nodeTls, aclToken));
            }
            return nodes;
        } catch (IOException | RuntimeException e) {
            nodes.forEach(n -> n.close(false));
            throw e;
        }
    }

    private static void printCloud(PrintStream out, CloudEmulators e) {
        out.println("  DynamoDB emulator " + e.dynamoEndpoint + ": tables " + CloudEmulators.STABLE_TABLE + " (term and vote), "
                + CloudEmulators.DISCOVERY_TABLE + " (registrations, bootstrap lock)");
        out.println(e.s3Endpoint == null
                ? "  snapshots on local disk (S3 needs the storage-s3 module and S3Proxy in --emulators/s3proxy)"
                : "  S3Proxy " + e.s3Endpoint + ": snapshots in s3://" + CloudEmulators.BUCKET + "/snapshots");
        out.println("  See the discovery table (any credentials work):");
        out.println("    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo aws dynamodb query --region us-east-1 --endpoint-url "
                + e.dynamoEndpoint + " --table-name " + CloudEmulators.DISCOVERY_TABLE
                + " --key-condition-expression 'pk = :p' --expression-attribute-values '{\":p\":{\"S\":\"discovery#"
                + CloudEmulators.CLUSTER + "\"}}'");
    }

    static void awaitFormed(List<SkiffNode> nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            SkiffNode first = nodes.get(0);
            boolean formed = first.raft.leader().isPresent() && first.raft.configuration().voters().size() == nodes.size()
                    && nodes.stream().allMatch(n -> n.raft.leader().isPresent());
            if (formed) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the demo cluster did not form within " + timeout.toSeconds() + " s; see the log above");
    }

    private static void requireFree(int port, String flag) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IllegalArgumentException("port " + port + " on 127.0.0.1 is in use; stop what holds it or choose "
                    + flag + " (" + e.getMessage() + ")");
        }
    }
}

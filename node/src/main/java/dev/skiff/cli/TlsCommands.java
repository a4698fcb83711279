package dev.skiff.cli;

import dev.skiff.api.MemberRules;
import dev.skiff.tls.DevCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff tls init DIR}: a development CA and certificates, so TLS runs in one command. */
@Command(name = "tls", mixinStandardHelpOptions = true, description = "TLS certificates for development and tests.",
        subcommands = TlsCommands.Init.class)
final class TlsCommands {

    /** The file names {@code tls init} writes, which {@code demo --tls} and the README use. */
    static Path caCert(Path dir) {
        return dir.resolve("ca.pem");
    }

    static Path nodeCert(Path dir, String node) {
        return dir.resolve(node + ".pem");
    }

    static Path nodeKey(Path dir, String node) {
        return dir.resolve(node + "-key.pem");
    }

    /**
     * Writes {@code ca.pem} (+ {@code ca-key.pem}), {@code NODE.pem} and {@code NODE-key.pem}
     * for each node, and {@code client.pem} / {@code client-key.pem}. Refuses to overwrite.
     */
    static List<Path> init(Path dir, List<String> nodes, List<String> sans) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        List<Path> planned = new ArrayList<>(List.of(caCert(dir), dir.resolve("ca-key.pem"), dir.resolve("client.pem"),
                dir.resolve("client-key.pem")));
        for (String node : nodes) {
            planned.add(nodeCert(dir, node));
            planned.add(nodeKey(dir, node));
        }
        for (Path p : planned) {
            if (Files.exists(p)) {
                throw new IllegalArgumentException(p + " already exists; tls init never overwrites certificates. "
                        + "Give another DIR, or delete the old files to start over");
            }
        }
        DevCertificates ca = DevCertificates.newCa("Skiff development CA");
        ca.writeCa(caCert(dir), dir.resolve("ca-key.pem"));
        written.add(caCert(dir));
        for (String node : nodes) {
            ca.issue(node, sans, true, nodeCert(dir, node), nodeKey(dir, node));
            written.add(nodeCert(dir, node));
        }
        ca.issue("skiff client", List.of(), false, dir.resolve("client.pem"), dir.resolve("client-key.pem"));
        written.add(dir.resolve("client.pem"));
        return written;
    }

    @Command(name = "init", mixinStandardHelpOptions = true, description = {
            "Write a development CA, one certificate per node and a client certificate into DIR.",
            "Not for production: the CA's key is written next to the certificates."})
    static final class Init implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "DIR", description = "Directory to write into (created 0700 if missing).")
        Path dir;

        @Option(names = "--nodes", split = ",", defaultValue = "n1,n2,n3", paramLabel = "ID",
                description = "Node ids to issue certificates for (default ${DEFAULT-VALUE}).")
        List<String> nodes;

        @Option(names = "--san", split = ",", paramLabel = "NAME",
                description = "Extra IP addresses or DNS names for the node certificates, besides 127.0.0.1, ::1 and localhost.")
        List<String> extraSans = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            for (String node : nodes) {
                MemberRules.idProblem(node).ifPresent(problem -> {
                    throw new IllegalArgumentException("--nodes: " + problem);
                });
            }
            if (!Files.exists(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            LinkedHashSet<String> sans = new LinkedHashSet<>(DevCertificates.LOCAL_SANS);
            sans.addAll(extraSans);
            init(dir, nodes, List.copyOf(sans));
            System.out.println("wrote a development CA and certificates for " + String.join(", ", nodes) + " and a client to " + dir);
            System.out.println("node n1:  skiff node --id n1 ... --tls-cert-file " + nodeCert(dir, nodes.getFirst())
                    + " --tls-key-file " + nodeKey(dir, nodes.getFirst()) + " --tls-ca-file " + caCert(dir));
            System.out.println("clients:  SKIFF_CA_FILE=" + caCert(dir) + " skiff status --addr 127.0.0.1:8001");
            System.out.println("curl:     curl --cacert " + caCert(dir) + " https://127.0.0.1:8001/v1/status");
            return 0;
        }
    }
}

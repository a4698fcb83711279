package dev.skiff.cli;

import dev.skiff.acl.TokenSecrets;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The management token of {@code skiff demo --acl}: kept in {@code DATA-DIR/acl-bootstrap-token}
 * (0600) so that a restarted demo keeps its token, and the lines that show how to use it.
 */
final class DemoAclToken {

    static final String FILE = "acl-bootstrap-token";

    private DemoAclToken() {
    }

    /** The token in {@code dataDir}'s file, or a new one written there (0600). */
    static String readOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (TokenSecrets.problem(token) != null || token.length() < TokenSecrets.MIN_SECRET_LENGTH) {
                throw new IllegalArgumentException(file + " does not hold a usable token; delete it and run the demo "
                        + "again for a new one");
            }
            return token;
        }
        Files.createDirectories(dataDir);
        String token = TokenSecrets.newSecret();
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        return token;
    }

    /** Prints how to use the cluster with ACLs on; {@code curl} is the curl command line to show (with the CA under TLS). */
    static void printHowTo(PrintStream out, Path dataDir, String curl, String a1, String a2, String a3) {
        Path file = dataDir.resolve(FILE).toAbsolutePath();
        out.println("ACLs are on. The management token (every right) is in " + file + ":");
        out.println("  export SKIFF_TOKEN=$(cat " + file + ")");
        out.println("Try (any node answers; followers forward to the leader):");
        out.println("  " + curl + " " + a1 + "/v1/kv/greeting                      # 401: no token");
        out.println("  " + curl + " -X PUT -H \"X-Skiff-Token: $SKIFF_TOKEN\" --data-binary 'hello, skiff' " + a2
                + "/v1/kv/greeting");
        out.println("  " + curl + " -H \"Authorization: Bearer $SKIFF_TOKEN\" " + a3 + "/v1/kv/greeting");
        out.println("  bin/skiff acl token create --description app-reader --rule app/=read   # prints a new secretId");
        out.println("  SKIFF_TOKEN=<that secretId> bin/skiff kv get app/x                  # allowed (404 until written)");
        out.println("  SKIFF_TOKEN=<that secretId> bin/skiff kv put app/x 1                # 403: read only");
        out.println("  bin/skiff acl token list -o table");
    }
}

package dev.skiff.emulators;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import kotlin.Pair;
import kotlin.jvm.JvmClassMappingKt;
import org.http4k.connect.amazon.dynamodb.DynamoDbMoshi;
import org.http4k.connect.amazon.dynamodb.DynamoTable;
import org.http4k.connect.amazon.dynamodb.FakeDynamoDb;
import org.http4k.connect.storage.Storage;
import org.http4k.connect.storage.InMemoryStorageKt;
import org.http4k.core.Body;
import org.http4k.core.Method;
import org.http4k.core.Request;
import org.http4k.core.Response;
import org.http4k.core.Status;

/**
 * A DynamoDB emulator on an HTTP port: http4k-connect's DynamoDB fake (Apache-2.0), which
 * speaks DynamoDB's JSON protocol (the AWS SDK talks to it through an endpoint override),
 * served by the JDK's HTTP server.
 *
 * <p>What this class adds to the fake, and why:
 * <ul>
 *   <li><b>One request at a time.</b> The fake reads a table, checks a condition and stores
 *       the table again without any lock, so two concurrent conditional writes could both
 *       succeed. DynamoDB applies writes to one item atomically, and Skiff's bootstrap lock and
 *       stable-store fencing depend on that: requests are therefore applied one at a time
 *       (bodies are read before the lock is taken, so a slow client holds nobody up).</li>
 *   <li><b>Tables kept in a directory</b> ({@link TableDirectory}), written before the answer
 *       is sent, so a restarted emulator (also after {@code kill -9}) has every acknowledged
 *       write; without a directory, tables live in memory.</li>
 *   <li><b>CreateTable of an existing table is refused</b> (ResourceInUseException), as by
 *       DynamoDB; the fake would replace the table with an empty one, and nodes that start
 *       together with {@code --create-tables} race to create the same tables.</li>
 *   <li><b>A bind address.</b> Loopback by default: the emulator has no authentication.</li>
 *   <li><b>400, not 500, for what the fake cannot parse</b> (malformed JSON, an empty binary
 *       value): a ValidationException naming the emulator and the cause, not retried by the
 *       SDK, instead of a stack trace with status 500.</li>
 * </ul>
 *
 * <p>Which DynamoDB operations the fake supports, and how faithfully, is checked by the
 * storage-dynamo test suites (storage-dynamo/README.md); it has no UpdateTimeToLive (TTL is
 * enforced by Skiff's readers anyway) and no item-size or throughput limits.
 *
 * <p>Thread-safe. {@link #close()} stops the server.
 */
public final class DynamoDbEmulator implements AutoCloseable {

    static {
        // The JDK server otherwise delays small responses by about 40 ms (Nagle + delayed ACK).
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Path dataDir;

    private DynamoDbEmulator(HttpServer server, ExecutorService executor, Path dataDir) {
        this.server = server;
        this.executor = executor;
        this.dataDir = dataDir;
    }

    /**
     * Starts an emulator.
     *
     * @param address where to listen (port 0: any free port, see {@link #endpoint()})
     * @param dataDir the directory the tables are kept in (created if missing), or null to keep
     *                them in memory only
     * @throws IOException if the port cannot be bound or the directory not read
     */
    public static DynamoDbEmulator start(InetSocketAddress address, Path dataDir) throws IOException {
        Storage<DynamoTable> tables = dataDir == null ? InMemoryStorageKt.InMemory(Storage.Companion) : TableDirectory.open(dataDir);
        warmUp();
        FakeDynamoDb fake = new FakeDynamoDb(tables, List::of, Clock.systemUTC());
        ReentrantLock oneAtATime = new ReentrantLock();
        HttpServer server = HttpServer.create(address, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                Request request = request(exchange);
                Response response;
                oneAtATime.lock();
                try {
                    response = existingTable(request, tables);
                    if (response == null) {
                        response = refusedIfUnparsed(fake.invoke(request), request);
                    }
                } catch (RuntimeException e) {
                    // A failure of the fake or of the table directory: DynamoDB's answer to its
                    // own failures, so the client retries; the cause goes to the emulator's log.
                    System.err.println("dynamodb-emulator: " + target(request) + " failed: " + e);
                    response = internalError(e);
                } finally {
                    oneAtATime.unlock();
                }
                send(exchange, response);
            }
        });
        server.start();
        return new DynamoDbEmulator(server, executor, dataDir);
    }

    /**
     * Runs every kind of request Skiff sends once through a scratch fake in memory, before the
     * port opens: the fake's first requests load and link hundreds of classes (Kotlin, Moshi
     * adapters, its expression grammars), seconds on a busy machine, which would otherwise fall
     * on the first clients, typically nodes starting up under a formation deadline.
     */
    private static void warmUp() {
        FakeDynamoDb scratch = new FakeDynamoDb(InMemoryStorageKt.InMemory(Storage.Companion), List::of, Clock.systemUTC());
        String key = "\"Key\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"s\"}}";
        List<String[]> calls = List.of(
                new String[] {"CreateTable", "{\"TableName\":\"warm-up\",\"BillingMode\":\"PAY_PER_REQUEST\","
                        + "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                        + "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\","
                        + "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}"},
                new String[] {"DescribeTable", "{\"TableName\":\"warm-up\"}"},
                new String[] {"UpdateItem", "{\"TableName\":\"warm-up\"," + key + ",\"UpdateExpression\":"
                        + "\"SET #o = :o, #e = if_not_exists(#e, :z) + :one\",\"ExpressionAttributeNames\":{\"#o\":\"o\","
                        + "\"#e\":\"e\"},\"ExpressionAttributeValues\":{\":o\":{\"S\":\"x\"},\":z\":{\"N\":\"0\"},"
                        + "\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}"},
                new String[] {"UpdateItem", "{\"TableName\":\"warm-up\"," + key + ",\"UpdateExpression\":\"SET #v = :v, #t = :t\","
                        + "\"ConditionExpression\":\"#o = :o AND (attribute_not_exists(#t) OR #t <= :t)\","
                        + "\"ExpressionAttributeNames\":{\"#o\":\"o\",\"#v\":\"v\",\"#t\":\"t\"},"
                        + "\"ExpressionAttributeValues\":{\":o\":{\"S\":\"x\"},\":t\":{\"N\":\"1\"},"
                        + "\":v\":{\"M\":{\"k\":{\"B\":\"AQ==\"},\"e\":{\"NULL\":true}}}}}"},
                new String[] {"PutItem", "{\"TableName\":\"warm-up\",\"Item\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"l\"},"
                        + "\"h\":{\"S\":\"x\"}},\"ConditionExpression\":\"attribute_not_exists(#pk) OR #h = :me\","
                        + "\"ExpressionAttributeNames\":{\"#pk\":\"pk\",\"#h\":\"h\"},"
                        + "\"ExpressionAttributeValues\":{\":me\":{\"S\":\"x\"}}}"},
                new String[] {"GetItem", "{\"TableName\":\"warm-up\"," + key + ",\"ConsistentRead\":true}"},
                new String[] {"Query", "{\"TableName\":\"warm-up\",\"ConsistentRead\":true,\"KeyConditionExpression\":"
                        + "\"#pk = :pk AND begins_with(#sk, :prefix)\",\"ExpressionAttributeNames\":{\"#pk\":\"pk\",\"#sk\":\"sk\"},"
                        + "\"ExpressionAttributeValues\":{\":pk\":{\"S\":\"p\"},\":prefix\":{\"S\":\"s\"}}}"},
                new String[] {"DeleteItem", "{\"TableName\":\"warm-up\"," + key + "}"});
        for (String[] call : calls) {
            Response r = scratch.invoke(Request.Companion.create(Method.POST, "/")
                    .header("X-Amz-Target", "DynamoDB_20120810." + call[0])
                    .header("Content-Type", "application/x-amz-json-1.0")
                    .body(call[1]));
            if (r.getStatus().getCode() != 200) {
                // Not fatal: the emulator works without a warm-up, only its first answers are slower.
                System.err.println("dynamodb-emulator: warm-up " + call[0] + " answered " + r.getStatus().getCode() + ": "
                        + r.getBody().toString().lines().findFirst().orElse(""));
            }
        }
    }

    private static Request request(HttpExchange exchange) throws IOException {
        Request request = Request.Companion.create(Method.valueOf(exchange.getRequestMethod()),
                exchange.getRequestURI().toString());
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            for (String value : header.getValue()) {
                request = request.header(header.getKey(), value);
            }
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        return request.body(Body.Companion.create(ByteBuffer.wrap(body)));
    }

    /**
     * The fake answers a request it cannot parse (malformed JSON, or a value its model refuses,
     * such as an empty binary) with a 500 whose body is a stack trace. DynamoDB answers bad
     * requests with a 400, and a 500 would make the SDK retry what can never succeed: turn it
     * into a 400 ValidationException that names the emulator and the cause.
     */
    private static Response refusedIfUnparsed(Response response, Request request) {
        if (response.getStatus().getCode() != 500) {
            return response;
        }
        String body = response.getBody().toString();
        if (body.startsWith("{")) {
            return response;
        }
        String cause = body.lines().findFirst().orElse("no detail");
        System.err.println("dynamodb-emulator: " + target(request) + " refused: " + cause);
        return error(Status.BAD_REQUEST, "ValidationException", "the DynamoDB emulator (http4k-connect's fake) cannot "
                + "handle this " + target(request) + " request: " + cause);
    }

    /**
     * DynamoDB refuses to create a table that exists (ResourceInUseException); the fake replaces
     * it with an empty one. Nodes started together with {@code --create-tables} each create the
     * table they found missing, and a replaced table loses the records the first ones wrote.
     *
     * @return the refusal for a CreateTable of an existing table, else null
     */
    private static Response existingTable(Request request, Storage<DynamoTable> tables) {
        if (!target(request).equals("CreateTable")) {
            return null;
        }
        Object name;
        try {
            name = DynamoDbMoshi.INSTANCE.asA(request.getBody().toString(), JvmClassMappingKt.getKotlinClass(Map.class))
                    .get("TableName");
        } catch (Exception e) { // Moshi's parse errors are IOExceptions Kotlin throws undeclared
            return null; // the fake answers what it cannot parse
        }
        if (!(name instanceof String table) || tables.get(table) == null) {
            return null;
        }
        return error(Status.BAD_REQUEST, "ResourceInUseException", "Table already exists: " + table);
    }

    private static Response internalError(RuntimeException e) {
        return error(Status.INTERNAL_SERVER_ERROR, "InternalServerError", "emulator: " + e.getMessage());
    }

    private static Response error(Status status, String type, String message) {
        String text = String.valueOf(message).replaceAll("\\p{Cntrl}", " ").replace("\\", "\\\\").replace("\"", "\\\"");
        return Response.Companion.create(status)
                .header("Content-Type", "application/x-amz-json-1.0")
                .body("{\"__type\":\"com.amazonaws.dynamodb.v20120810#" + type + "\",\"message\":\"" + text + "\"}");
    }

    private static String target(Request request) {
        return request.getHeaders().stream().filter(h -> h.getFirst().equalsIgnoreCase("X-Amz-Target"))
                .map(Pair::getSecond).findFirst().map(t -> t.substring(t.indexOf('.') + 1)).orElse("(no X-Amz-Target)");
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        for (Pair<String, String> header : response.getHeaders()) {
            if (header.getSecond() != null && !header.getFirst().equalsIgnoreCase("Content-Length")) {
                exchange.getResponseHeaders().add(header.getFirst(), header.getSecond());
            }
        }
        ByteBuffer payload = response.getBody().getPayload();
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        exchange.sendResponseHeaders(response.getStatus().getCode(), bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** {@code http://HOST:PORT} of the running server. */
    public URI endpoint() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    /** Stops the server; tables in a directory stay there. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "DynamoDB emulator " + endpoint() + (dataDir == null ? " (in memory)" : " (tables in " + dataDir + ")");
    }

    /**
     * Runs an emulator until the process is stopped:
     * {@code java -cp 'DIR/*' dev.skiff.emulators.DynamoDbEmulator --port N [--data-dir DIR] [--host ADDR]}.
     * Exit code 2 for bad arguments, 1 when it cannot start.
     */
    public static void main(String[] args) throws InterruptedException {
        PrintStream err = System.err;
        int port = -1;
        Path dataDir = null;
        String host = "127.0.0.1";
        try {
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--port" -> port = parsePort(required(args[i], value));
                    case "--data-dir" -> dataDir = Path.of(required(args[i], value));
                    case "--host" -> host = required(args[i], value);
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
                i++;
            }
            if (port < 0) {
                throw new IllegalArgumentException("--port is required");
            }
        } catch (IllegalArgumentException e) {
            err.println("dynamodb-emulator: " + e.getMessage()
                    + ". Usage: DynamoDbEmulator --port N [--data-dir DIR] [--host ADDRESS (default 127.0.0.1)]");
            System.exit(2);
            return;
        }
        DynamoDbEmulator emulator;
        try {
            emulator = start(new InetSocketAddress(InetAddress.getByName(host), port), dataDir);
        } catch (IOException | RuntimeException e) {
            err.println("dynamodb-emulator: cannot start on " + host + ":" + port + ": " + e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            emulator.close();
            stopped.countDown();
        }, "dynamodb-emulator-stop"));
        System.out.println("dynamodb-emulator: listening on " + emulator.endpoint()
                + (dataDir == null ? ", tables in memory" : ", tables in " + dataDir.toAbsolutePath()));
        stopped.await();
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--port must be a number from 0 to 65535, not '" + value + "'");
        }
    }
}

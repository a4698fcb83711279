package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.acl.TokenSecrets;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native coordination API of API.md §8 on the api port, against a real one-node Raft leader
 * with ACLs on (the management token for most calls): key metadata and flags, lock acquire /
 * release, recursive delete, blocking reads, transactions and sessions; every bad input is a 400
 * that changes nothing.
 */
class NativeCoordinationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static final String MANAGEMENT = "native-coordination-management-1";
    private static Raft raft;
    private static KvStateMachine fsm;
    private static ApiServer api;

    private record Reply(int status, String body, HttpResponse<String> raw) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }

        long index() {
            return Long.parseLong(raw.headers().firstValue("X-Skiff-Index").orElseThrow());
        }
    }

    @BeforeAll
    static void startLeader() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        fsm = new KvStateMachine();
        raft = Raft.create(config, fsm, new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("n1:9001"));
        raft.bootstrapCluster(Configuration.of(new Server("n1", "n1:9001", dev.skiff.raft.Suffrage.VOTER, "n1:8001"))).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
        api = new ApiServer("127.0.0.1", 0, "n1", raft, fsm, new InMemorySnapshotStore(2), new ApiMetrics(raft), 1024,
                Duration.ofSeconds(5), new dev.skiff.storage.StorageHealth(), Path.of(System.getProperty("java.io.tmpdir")),
                HealthHandler.DEFAULT_READY_MAX_LAG, PeerApi.PLAIN, false, TokenSecrets.hash(MANAGEMENT), 2);
    }

    @AfterAll
    static void stop() {
        api.close();
        raft.shutdown().join();
    }

    private static Reply send(String method, String pathAndQuery, String body) throws Exception {
        return sendAs(MANAGEMENT, method, pathAndQuery, body);
    }

    private static Reply sendAs(String token, String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + api.address() + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Skiff-Token", token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String session(String body) throws Exception {
        Reply created = send("POST", "/v1/session", body);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("id").asText();
    }

    @Test
    void flagsAndMetadata() throws Exception {
        assertThat(send("PUT", "/v1/kv/meta/a?flags=42", "v1").status()).isEqualTo(200);
        JsonNode meta = send("GET", "/v1/kv/meta/a?meta=true", null).json();
        assertThat(meta.path("key").asText()).isEqualTo("meta/a");
        assertThat(meta.path("value").asText()).isEqualTo(b64("v1"));
        assertThat(meta.path("flags").asLong()).isEqualTo(42);
        assertThat(meta.path("lockIndex").asLong()).isZero();
        assertThat(meta.path("session").isNull()).isTrue();
        assertThat(meta.path("createIndex").asLong()).isEqualTo(meta.path("modifyIndex").asLong());
        assertThat(send("PUT", "/v1/kv/meta/a?flags=18446744073709551615", "v2").status()).isEqualTo(200);
        assertThat(send("GET", "/v1/kv/meta/a?meta=true", null).body()).contains("\"flags\":18446744073709551615");
        // A plain GET is still the raw value.
        assertThat(send("GET", "/v1/kv/meta/a", null).body()).isEqualTo("v2");

        long applied = fsm.appliedIndex();
        assertThat(send("PUT", "/v1/kv/meta/a?flags=-1", "x").status()).isEqualTo(400);
        assertThat(send("PUT", "/v1/kv/meta/a?flags=abc", "x").body()).contains("flags must be an unsigned 64-bit integer");
        assertThat(send("GET", "/v1/kv/meta/a?meta=maybe", null).status()).isEqualTo(400);
        assertThat(send("PUT", "/v1/kv/meta/a?flags=1&cas=1", "x").status()).isEqualTo(412);
        assertThat(fsm.appliedIndex()).as("a failed CAS is one committed entry, nothing else").isEqualTo(applied + 1);
        assertThat(fsm.get("meta/a").orElseThrow().value()).isEqualTo("v2".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void locksFollowConsul_andASessionsEndReleasesThem() throws Exception {
        String s1 = session("{\"name\":\"one\",\"lockDelay\":\"0s\"}");
        String s2 = session("{\"name\":\"two\"}");
        assertThat(send("PUT", "/v1/kv/lock/a?acquire=" + s1, "mine").body()).isEqualTo("true");
        assertThat(send("PUT", "/v1/kv/lock/a?acquire=" + s2, "theirs").body()).isEqualTo("false");
        JsonNode held = send("GET", "/v1/kv/lock/a?meta=true", null).json();
        assertThat(held.path("session").asText()).isEqualTo(s1);
        assertThat(held.path("lockIndex").asLong()).isEqualTo(1);
        assertThat(send("PUT", "/v1/kv/lock/a?release=" + s2, "").body()).isEqualTo("false");
        assertThat(send("PUT", "/v1/kv/lock/a?release=" + s1, "done").body()).isEqualTo("true");
        assertThat(send("GET", "/v1/kv/lock/a?meta=true", null).json().path("session").isNull()).isTrue();
        assertThat(send("PUT", "/v1/kv/lock/a?acquire=" + s2, "theirs").body()).isEqualTo("true");
        assertThat(send("GET", "/v1/kv/lock/a?meta=true", null).json().path("lockIndex").asLong()).isEqualTo(2);

        Reply gone = send("PUT", "/v1/kv/lock/b?acquire=no-such-session", "x");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().path("code").asText()).isEqualTo("no_such_session");
        assertThat(send("PUT", "/v1/kv/lock/b?acquire=" + s1 + "&release=" + s1, "x").status()).isEqualTo(400);
        // A refusal whose key names the same words as the unknown-session refusal is still a plain false.
        assertThat(send("PUT", "/v1/kv/it%20does%20not%20exist?acquire=" + s1, "x").body()).isEqualTo("true");
        Reply taken = send("PUT", "/v1/kv/it%20does%20not%20exist?acquire=" + s2, "y");
        assertThat(taken.status()).isEqualTo(200);
        assertThat(taken.body()).isEqualTo("false");

        Reply destroyed = send("DELETE", "/v1/session/" + s2, null);
        assertThat(destroyed.json().path("destroyed").asBoolean()).isTrue();
        assertThat(send("GET", "/v1/kv/lock/a?meta=true", null).json().path("session").isNull()).isTrue();
        assertThat(send("GET", "/v1/session/" + s2, null).status()).isEqualTo(404);
    }

    @Test
    void sessions_createReadRenewDestroy_andBadInputChangesNothing() throws Exception {
        String id = session("{\"name\":\"worker\",\"ttl\":\"15s\",\"lockDelay\":\"1s\",\"behavior\":\"delete\"}");
        JsonNode info = send("GET", "/v1/session/" + id, null).json();
        assertThat(info.path("name").asText()).isEqualTo("worker");
        assertThat(info.path("ttl").asText()).isEqualTo("15s");
        assertThat(info.path("lockDelay").asText()).isEqualTo("1s");
        assertThat(info.path("behavior").asText()).isEqualTo("delete");
        assertThat(send("PUT", "/v1/session/" + id + "/renew", null).json().path("id").asText()).isEqualTo(id);
        assertThat(send("PUT", "/v1/session/nope/renew", null).status()).isEqualTo(404);

        long applied = fsm.appliedIndex();
        for (String bad : new String[] {"{\"ttl\":\"5s\"}", "{\"ttl\":\"forever\"}", "{\"behavior\":\"explode\"}",
                "{\"lockDelay\":\"2m\"}", "{\"nmae\":\"typo\"}", "[1]", "{\"ttl\":15}"}) {
            Reply r = send("POST", "/v1/session", bad);
            assertThat(r.status()).as(bad + " -> " + r.body()).isEqualTo(400);
        }
        assertThat(send("GET", "/v1/session", null).status()).isEqualTo(405);
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
        assertThat(send("DELETE", "/v1/session/" + id, null).status()).isEqualTo(200);
        assertThat(sendAs(null, "POST", "/v1/session", "{}").status()).isEqualTo(401);
    }

    @Test
    void recursiveDelete_countsWhatItRemoved() throws Exception {
        for (String k : new String[] {"tree/a", "tree/b/c", "tree/b/d", "treeless"}) {
            assertThat(send("PUT", "/v1/kv/" + k, "x").status()).isEqualTo(200);
        }
        Reply done = send("DELETE", "/v1/kv/?prefix=tree/", null);
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().path("deleted").asLong()).isEqualTo(3);
        assertThat(fsm.get("tree/a")).isEmpty();
        assertThat(fsm.get("treeless")).isPresent();
        assertThat(send("DELETE", "/v1/kv/?prefix=tree/", null).json().path("deleted").asLong()).isZero();
        assertThat(send("DELETE", "/v1/kv/?prefix=tree/&cas=3", null).status()).isEqualTo(400);
        assertThat(send("DELETE", "/v1/kv/", null).status()).isEqualTo(400);
    }

    @Test
    void blockingReads_returnOnTheChange_orWhenTheWaitRunsOut() throws Exception {
        assertThat(send("PUT", "/v1/kv/watch/k", "one").status()).isEqualTo(200);
        Reply first = send("GET", "/v1/kv/watch/k", null);
        long index = first.index();

        CompletableFuture<Reply> key = CompletableFuture.supplyAsync(() -> call("GET", "/v1/kv/watch/k?index=" + index + "&wait=20s"));
        CompletableFuture<Reply> prefix = CompletableFuture.supplyAsync(() ->
                call("GET", "/v1/kv/?prefix=watch/&index=" + index + "&wait=20s"));
        Thread.sleep(300);
        assertThat(key).isNotDone();
        assertThat(prefix).isNotDone();
        long changed = System.nanoTime();
        assertThat(send("PUT", "/v1/kv/watch/k", "two").status()).isEqualTo(200);
        Reply woke = key.get(5, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - changed) / 1_000_000;
        assertThat(woke.body()).isEqualTo("two");
        assertThat(woke.index()).isGreaterThan(index);
        assertThat(prefix.get(5, TimeUnit.SECONDS).json().path("items").get(0).path("value").asText()).isEqualTo(b64("two"));
        System.out.println("NativeCoordinationTest: a blocking read woke " + millis + " ms after the write was sent");

        // An index already passed: at once. A change elsewhere does not wake a key's read.
        assertThat(send("GET", "/v1/kv/watch/k?index=" + index + "&wait=20s", null).body()).isEqualTo("two");
        long now = woke.index();
        long asked = System.nanoTime();
        CompletableFuture<Reply> quiet = CompletableFuture.supplyAsync(() -> call("GET", "/v1/kv/watch/k?index=" + now + "&wait=1s"));
        assertThat(send("PUT", "/v1/kv/elsewhere", "x").status()).isEqualTo(200);
        Reply timedOut = quiet.get(5, TimeUnit.SECONDS);
        assertThat(timedOut.body()).isEqualTo("two");
        assertThat((System.nanoTime() - asked) / 1_000_000).as("it waited out its second").isGreaterThanOrEqualTo(1000);
        // An index ahead of this node: at once.
        assertThat(send("GET", "/v1/kv/watch/k?index=" + (now + 1_000_000) + "&wait=20s", null).status()).isEqualTo(200);

        assertThat(send("GET", "/v1/kv/watch/k?wait=1s", null).status()).isEqualTo(400);
        assertThat(send("GET", "/v1/kv/watch/k?index=1&wait=11m", null).status()).isEqualTo(400);
        assertThat(send("GET", "/v1/kv/watch/k?index=-4", null).status()).isEqualTo(400);
        assertThat(send("GET", "/v1/kv/watch/k?index=1&wait=soon", null).status()).isEqualTo(400);
    }

    /** Reads an event stream's lines until {@code events} data lines arrived; returns the data and id lines. */
    private static List<String> events(String pathAndQuery, int events, Runnable afterConnect) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + api.address() + pathAndQuery))
                .header("X-Skiff-Token", MANAGEMENT).GET().build();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        afterConnect.run();
        List<String> lines = new java.util.ArrayList<>();
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            var it = r.body().iterator();
            int data = 0;
            while (data < events && it.hasNext()) {
                String line = it.next();
                if (line.startsWith("data:") || line.startsWith("id:")) {
                    lines.add(line);
                    data += line.startsWith("data:") ? 1 : 0;
                }
            }
        });
        read.get(10, TimeUnit.SECONDS);
        r.body().close();
        return lines;
    }

    private static void put(String key, String value) {
        try {
            assertThat(send("PUT", "/v1/kv/" + key, value).status()).isEqualTo(200);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void theWatchStream_sendsEveryChangeUnderThePrefixInCommitOrder_andResumes() throws Exception {
        long start = fsm.appliedIndex();
        List<String> lines = events("/v1/watch?prefix=stream/", 4, () -> {
            put("stream/a", "1");
            put("elsewhere/x", "no");
            try {
                assertThat(send("POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"stream/b\",\"value\":\""
                        + b64("2") + "\"},{\"op\":\"put\",\"key\":\"stream/c\",\"value\":\"" + b64("3") + "\"}]}").status())
                        .isEqualTo(200);
                assertThat(send("DELETE", "/v1/kv/stream/a", null).status()).isEqualTo(200);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<String> data = lines.stream().filter(l -> l.startsWith("data:")).toList();
        assertThat(data).hasSize(4);
        assertThat(data.get(0)).contains("\"op\":\"put\"").contains("\"key\":\"stream/a\"").contains(b64("1"));
        assertThat(data.get(1)).contains("stream/b");
        assertThat(data.get(2)).contains("stream/c");
        assertThat(data.get(3)).contains("\"op\":\"delete\"").contains("stream/a");
        List<Long> ids = lines.stream().filter(l -> l.startsWith("id:")).map(l -> Long.parseLong(l.substring(3).trim())).toList();
        // One id per entry: after stream/a, after the transaction's last change, after the delete.
        assertThat(ids).hasSize(3);
        assertThat(ids.get(0)).isGreaterThan(start);
        // An event's id line comes before its data line: the transaction's id is on its last change.
        assertThat(lines.indexOf("id:" + ids.get(1))).isEqualTo(lines.indexOf(data.get(2)) - 1);

        // Resuming after the first entry replays the rest, in order.
        List<String> resumed = events("/v1/watch?prefix=stream/&from=" + ids.get(0), 3, () -> { });
        assertThat(resumed.stream().filter(l -> l.startsWith("data:")).toList()).isEqualTo(data.subList(1, 4));

        assertThat(send("GET", "/v1/watch?prefix=stream/&from=x", null).status()).isEqualTo(400);
        assertThat(send("GET", "/v1/watch?prefx=stream/", null).status()).isEqualTo(400);
        assertThat(sendAs(null, "GET", "/v1/watch?prefix=stream/", null).status()).isEqualTo(401);
    }

    private static Reply call(String method, String path) {
        try {
            return send(method, path, null);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void transactions_compareThenOneBranch_inOneEntry() throws Exception {
        assertThat(send("PUT", "/v1/kv/txn/a", "1").status()).isEqualTo(200);
        long aIndex = fsm.get("txn/a").orElseThrow().modifyIndex();
        String ok = "{\"compare\":[{\"key\":\"txn/a\",\"modifyIndex\":" + aIndex + "},{\"key\":\"txn/a\",\"value\":\"" + b64("1")
                + "\"},{\"key\":\"txn/new\",\"exists\":false}],"
                + "\"success\":[{\"op\":\"put\",\"key\":\"txn/b\",\"value\":\"" + b64("2") + "\",\"flags\":5},"
                + "{\"op\":\"get\",\"key\":\"txn/a\"},{\"op\":\"delete\",\"key\":\"txn/a\"}],"
                + "\"failure\":[{\"op\":\"put\",\"key\":\"txn/failed\",\"value\":\"\"}]}";
        long applied = fsm.appliedIndex();
        Reply r = send("POST", "/v1/txn", ok);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(j.path("succeeded").asBoolean()).isTrue();
        assertThat(j.path("index").asLong()).isEqualTo(applied + 1);
        assertThat(fsm.appliedIndex()).as("one Raft entry").isEqualTo(applied + 1);
        assertThat(j.path("results").get(0).path("modifyIndex").asLong()).isEqualTo(applied + 1);
        assertThat(j.path("results").get(1).path("value").asText()).isEqualTo(b64("1"));
        assertThat(j.path("results").get(2).path("deleted").asBoolean()).isTrue();
        assertThat(fsm.get("txn/b").orElseThrow().flags()).isEqualTo(5);
        assertThat(fsm.get("txn/a")).isEmpty();
        assertThat(fsm.get("txn/failed")).isEmpty();

        Reply failed = send("POST", "/v1/txn", "{\"compare\":[{\"key\":\"txn/b\",\"modifyIndex\":1}],"
                + "\"success\":[{\"op\":\"delete-prefix\",\"prefix\":\"txn/\"}],"
                + "\"failure\":[{\"op\":\"put\",\"key\":\"txn/failed\",\"value\":\"" + b64("f") + "\"}]}");
        assertThat(failed.json().path("succeeded").asBoolean()).isFalse();
        assertThat(fsm.get("txn/b")).isPresent();
        assertThat(fsm.get("txn/failed")).isPresent();
        Reply all = send("POST", "/v1/txn", "{\"success\":[{\"op\":\"delete-prefix\",\"prefix\":\"txn/\"}]}");
        assertThat(all.json().path("results").get(0).path("deleted").asLong()).isEqualTo(2);
    }

    @Test
    void badTransactionsAre400AndChangeNothing() throws Exception {
        long applied = fsm.appliedIndex();
        String[] bad = {
            "", "[]", "{\"success\":{}}", "{\"success\":[{\"op\":\"increment\",\"key\":\"a\"}]}",
            "{\"success\":[{\"op\":\"put\",\"key\":\"\"}]}", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"%%%\"}]}",
            "{\"compare\":[{\"key\":\"a\"}]}", "{\"compare\":[{\"key\":\"a\",\"modifyIndex\":1,\"exists\":true}]}",
            "{\"compare\":[{\"key\":\"a\",\"modifyIndex\":-1}]}", "{\"compare\":[{\"key\":\"a\",\"exists\":\"yes\"}]}",
            "{\"success\":[{\"op\":\"get\",\"key\":\"a\",\"value\":\"\"}]}", "{\"sucess\":[]}",
            "{\"success\":[" + "{\"op\":\"get\",\"key\":\"a\"},".repeat(128) + "{\"op\":\"get\",\"key\":\"a\"}]}",
            "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"flags\":-2}]}",
        };
        for (String body : bad) {
            Reply r = send("POST", "/v1/txn", body);
            assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
            assertThat(r.json().path("code").asText()).isEqualTo("bad_request");
        }
        assertThat(send("GET", "/v1/txn", null).status()).isEqualTo(405);
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
    }

    @Test
    void underAcls_eachTransactionOperationAndRecursiveDeleteIsChecked() throws Exception {
        Reply created = send("POST", "/v1/acl/tokens", "{\"rules\":[{\"prefix\":\"mine/\",\"access\":\"write\"},"
                + "{\"prefix\":\"mine/ro/\",\"access\":\"read\"}]}");
        String token = created.json().path("secretId").asText();
        assertThat(send("PUT", "/v1/kv/mine/ro/x", "r").status()).isEqualTo(200);
        long applied = fsm.appliedIndex();
        Reply txn = sendAs(token, "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"mine/a\",\"value\":\"\"},"
                + "{\"op\":\"put\",\"key\":\"theirs/a\",\"value\":\"\"}]}");
        assertThat(txn.status()).isEqualTo(403);
        assertThat(txn.body()).contains("theirs/a");
        assertThat(sendAs(token, "DELETE", "/v1/kv/?prefix=mine/", null).status()).isEqualTo(403);
        assertThat(sendAs(token, "PUT", "/v1/kv/theirs/a?flags=1", "x").status()).isEqualTo(403);
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
        assertThat(sendAs(token, "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"mine/a\",\"value\":\"\"}]}").status())
                .isEqualTo(200);
        assertThat(sendAs(token, "GET", "/v1/kv/mine/ro/x?meta=true", null).status()).isEqualTo(200);
    }
}

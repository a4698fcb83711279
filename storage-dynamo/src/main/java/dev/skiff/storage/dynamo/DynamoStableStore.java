package dev.skiff.storage.dynamo;

import dev.skiff.raft.StableStore;
import dev.skiff.raft.StableStoreFencedException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/**
 * A {@link StableStore} in one DynamoDB item per (cluster, node id) ({@code --stable
 * dynamodb://TABLE}).
 *
 * <pre>
 * Item (table keys pk, sk as the Terraform module creates them):
 *   pk        S  "stable#" + cluster + "#" + node id
 *   sk        S  "state"
 *   owner     S  random token of the process that opened the store last
 *   epoch     N  how many times the store was opened (1, 2, …)
 *   opened_by S  host and pid of that process; opened_at S: when (ISO-8601)
 *   term      N  CurrentTerm, as a number, for the never-backwards condition
 *   vals      M  every key → B (its bytes), or NULL for an empty value; CurrentTerm, LastVoteTerm, …
 * </pre>
 *
 * <p><b>Empty values</b> are stored as {@code NULL: true}, not as an empty {@code B}: DynamoDB
 * has accepted empty binaries in non-key attributes only since 2020, and DynamoDB-compatible
 * stores and the open-source emulators (http4k-connect's fake, dynalite) still refuse them.
 * An empty {@code B} written by an older version still reads as an empty value.
 *
 * <p><b>Fencing.</b> {@link #open} makes this process the item's owner with an update that
 * returns the item (and its values): the newest process wins. Every write is conditional on
 * {@code owner} still being this process's token, so an older process with the same node id
 * fails its next write with {@link StableStoreFencedException} (Raft then stops it), and on
 * {@code term} not exceeding the new CurrentTerm, so the term never goes backwards whoever
 * writes.
 *
 * <p><b>Atomicity and durability.</b> {@link #setAll} writes the whole value map in one
 * conditional UpdateItem: DynamoDB applies it entirely or not at all, and acknowledges only
 * durable writes. Values are cached: reads never touch the table (only the owner writes).
 * An item holds at most 400 KB, which bounds the sum of all values.
 *
 * <p><b>Failures.</b> The client retries throttling, 5xx and connection errors with backoff
 * and jitter ({@link DynamoClients}); when it gives up, the IOException names the table.
 *
 * <p>Thread-safe (one lock around the cache and each write).
 */
public final class DynamoStableStore implements StableStore {

    static final String SORT_KEY = "state";
    private static final Logger log = LoggerFactory.getLogger(DynamoStableStore.class);

    private final DynamoDbClient client;
    private final boolean ownsClient;
    private final String table;
    private final String cluster;
    private final String nodeId;
    private final Map<String, AttributeValue> key;
    private final String owner;
    private final long epoch;
    private TreeMap<String, byte[]> values;
    private boolean closed;

    private DynamoStableStore(DynamoDbClient client, boolean ownsClient, String table, String cluster, String nodeId,
                              Map<String, AttributeValue> key, String owner, long epoch, TreeMap<String, byte[]> values) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.table = table;
        this.cluster = cluster;
        this.nodeId = nodeId;
        this.key = key;
        this.owner = owner;
        this.epoch = epoch;
        this.values = values;
    }

    /**
     * Opens (creating if absent) the record of {@code nodeId} in {@code cluster}, and takes it
     * over from any earlier process.
     *
     * @param ownsClient close {@code client} when the store is closed
     * @throws IOException naming the table if it cannot be reached
     */
    public static DynamoStableStore open(DynamoDbClient client, boolean ownsClient, String table, String cluster, String nodeId)
            throws IOException {
        Map<String, AttributeValue> key = Map.of(
                DynamoTables.PK, s("stable#" + cluster + "#" + nodeId),
                DynamoTables.SK, s(SORT_KEY));
        String owner = UUID.randomUUID().toString();
        Map<String, AttributeValue> item;
        try {
            item = client.updateItem(r -> r.tableName(table).key(key)
                    .updateExpression("SET #owner = :owner, #epoch = if_not_exists(#epoch, :zero) + :one, "
                            + "#openedBy = :by, #openedAt = :at")
                    .expressionAttributeNames(Map.of("#owner", "owner", "#epoch", "epoch", "#openedBy", "opened_by",
                            "#openedAt", "opened_at"))
                    .expressionAttributeValues(Map.of(":owner", s(owner), ":zero", n(0), ":one", n(1),
                            ":by", s(processName()), ":at", s(Instant.now().toString())))
                    .returnValues(ReturnValue.ALL_NEW)).attributes();
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "opening the stable record of node " + nodeId, e);
        }
        TreeMap<String, byte[]> values = new TreeMap<>();
        AttributeValue vals = item.get("vals");
        if (vals != null && vals.hasM()) {
            for (Map.Entry<String, AttributeValue> e : vals.m().entrySet()) {
                values.put(e.getKey(), decode(table, nodeId, e.getKey(), e.getValue()));
            }
        }
        long epoch = Long.parseLong(item.get("epoch").n());
        log.info("stable store: node {} owns its record in DynamoDB table {} (cluster {}, epoch {})", nodeId, table, cluster, epoch);
        return new DynamoStableStore(client, ownsClient, table, cluster, nodeId, key, owner, epoch, values);
    }

    @Override
    public synchronized Optional<byte[]> get(String k) {
        byte[] v = values.get(k);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized void setAll(Map<String, byte[]> newValues) throws IOException {
        if (closed) {
            throw new IOException("stable store of node " + nodeId + " (DynamoDB table " + table + ") is closed");
        }
        TreeMap<String, byte[]> next = new TreeMap<>(values);
        newValues.forEach((k, v) -> {
            if (k.isEmpty()) {
                throw new IllegalArgumentException("stable store key must not be empty");
            }
            next.put(k, v.clone());
        });
        Map<String, AttributeValue> vals = new HashMap<>();
        next.forEach((k, v) -> vals.put(k, encode(v)));
        Map<String, String> names = new HashMap<>(Map.of("#owner", "owner", "#vals", "vals"));
        Map<String, AttributeValue> params = new HashMap<>(Map.of(":owner", s(owner), ":vals", AttributeValue.fromM(vals)));
        String update = "SET #vals = :vals";
        String condition = "#owner = :owner";
        byte[] term = newValues.get(CURRENT_TERM);
        long newTerm = -1;
        if (term != null && term.length == Long.BYTES) {
            newTerm = ByteBuffer.wrap(term).getLong();
            names.put("#term", "term");
            params.put(":term", n(newTerm));
            update += ", #term = :term";
            condition += " AND (attribute_not_exists(#term) OR #term <= :term)";
        }
        String u = update;
        String c = condition;
        try {
            client.updateItem(r -> r.tableName(table).key(key)
                    .updateExpression(u)
                    .conditionExpression(c)
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(params)
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD));
        } catch (ConditionalCheckFailedException e) {
            throw fenced(e.hasItem() ? e.item() : currentItem(), newTerm);
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "writing the stable record of node " + nodeId, e);
        }
        values = next;
    }

    /** A value as stored in the {@code vals} map: B, or NULL when empty (see the class comment). */
    static AttributeValue encode(byte[] value) {
        return value.length == 0 ? AttributeValue.fromNul(true) : AttributeValue.fromB(SdkBytes.fromByteArray(value));
    }

    /** The bytes of a stored value (B, or NULL for empty). */
    static byte[] decode(String table, String nodeId, String key, AttributeValue value) throws IOException {
        if (value.b() != null) {
            return value.b().asByteArray();
        }
        if (Boolean.TRUE.equals(value.nul())) {
            return new byte[0];
        }
        throw new IOException("DynamoDB table " + table + ": the stable record of node " + nodeId + " holds " + value
                + " for key " + key + ", not binary: the item was changed by something other than Skiff; restore it or"
                + " delete the item (see storage-dynamo/README.md, amnesia guard)");
    }

    private StableStoreFencedException fenced(Map<String, AttributeValue> current, long newTerm) {
        if (current == null || current.isEmpty() || !current.containsKey("owner")) {
            return new StableStoreFencedException("the stable record of node " + nodeId + " (" + this + ") was deleted while "
                    + "the node ran; it stops rather than forget its term and vote. Start it again (the amnesia guard then "
                    + "says whether it may keep its id).");
        }
        if (!owner.equals(current.get("owner").s())) {
            return new StableStoreFencedException("node " + nodeId + " is fenced: its stable record (" + this + ") was taken "
                    + "over by another process with the same --id (epoch " + attr(current, "epoch") + " after this process's "
                    + epoch + ", opened by " + attr(current, "opened_by") + " at " + attr(current, "opened_at") + "). "
                    + "This process stops; run exactly one process per node id.");
        }
        return new StableStoreFencedException("node " + nodeId + ": refusing to move CurrentTerm backwards from "
                + attr(current, "term") + " to " + newTerm + " in its stable record (" + this + ")");
    }

    /** The item as stored now (for the fencing message), empty if it is gone or unreadable. */
    private Map<String, AttributeValue> currentItem() {
        try {
            return client.getItem(r -> r.tableName(table).key(key).consistentRead(true)).item();
        } catch (SdkException e) {
            return Map.of("owner", s("?"));
        }
    }

    private static String attr(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? "?" : v.n() != null ? v.n() : v.s();
    }

    /** The epoch this process took at open (1 for the first process ever). */
    public long epoch() {
        return epoch;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "DynamoDB table " + table + " item pk=stable#" + cluster + "#" + nodeId + " sk=" + SORT_KEY;
    }

    private static String processName() {
        return ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    }

    static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}

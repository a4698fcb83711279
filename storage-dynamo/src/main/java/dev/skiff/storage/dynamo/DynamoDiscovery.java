package dev.skiff.storage.dynamo;

import static dev.skiff.storage.dynamo.DynamoStableStore.n;
import static dev.skiff.storage.dynamo.DynamoStableStore.s;

import dev.skiff.discovery.Discovery;
import dev.skiff.discovery.Member;
import dev.skiff.discovery.PublishedLeader;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * A {@link Discovery} table in DynamoDB ({@code --discovery dynamodb://TABLE?cluster=NAME}).
 *
 * <pre>
 * Items of one cluster share pk = "discovery#" + cluster:
 *   sk "member#" + id   id, raft, api (S), heartbeat (N, epoch ms), expires_at (N, epoch s: the TTL)
 *   sk "bootstrap-lock" holder (S), taken_at (S)
 *   sk "leader"         id, raft, api (S), term (N), published (N, epoch ms): written only if
 *                       absent or of an earlier-or-equal term
 * </pre>
 *
 * <p>Members are read with one Query on the partition (consistent, paged), never a Scan, and
 * filtered by {@code expires_at}: DynamoDB deletes expired items only eventually, so readers
 * do not rely on it. The bootstrap lock is a put conditional on the item not existing (or
 * already being this node's): exactly one contender wins, and asking again is idempotent.
 * Only GetItem, PutItem, DeleteItem and Query are used (the Terraform role's permissions).
 *
 * <p>Thread-safe (the SDK client is). Failures, after the client's retries, are IOExceptions
 * naming the table.
 */
public final class DynamoDiscovery implements Discovery {

    private static final String MEMBER_PREFIX = "member#";
    private static final String LOCK = "bootstrap-lock";
    private static final String LEADER = "leader";

    private final DynamoDbClient client;
    private final boolean ownsClient;
    private final String table;
    private final String cluster;
    private final Duration ttl;
    private final Clock clock;
    private final AttributeValue partition;

    /**
     * @param ownsClient close {@code client} with this
     * @param ttl        how long a registration lives without a heartbeat
     * @param clock      the time source for heartbeats and expiry (stepped in tests)
     */
    public DynamoDiscovery(DynamoDbClient client, boolean ownsClient, String table, String cluster, Duration ttl, Clock clock) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.table = table;
        this.cluster = cluster;
        this.ttl = ttl;
        this.clock = clock;
        this.partition = s("discovery#" + cluster);
    }

    @Override
    public void register(Member self) throws IOException {
        Instant now = clock.instant();
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(DynamoTables.PK, partition);
        item.put(DynamoTables.SK, s(MEMBER_PREFIX + self.id()));
        item.put("id", s(self.id()));
        item.put("raft", s(self.raftAddress()));
        item.put("api", s(self.apiAddress()));
        item.put("heartbeat", n(now.toEpochMilli()));
        // Rounded up: a registration never expires before its TTL has passed.
        item.put(DynamoTables.TTL_ATTRIBUTE, n(Math.ceilDiv(now.plus(ttl).toEpochMilli(), 1000)));
        try {
            client.putItem(r -> r.tableName(table).item(item));
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "registering " + self.id() + " in cluster " + cluster, e);
        }
    }

    @Override
    public List<Member> members() throws IOException {
        long nowMillis = clock.millis();
        List<Member> live = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        try {
            do {
                Map<String, AttributeValue> from = start;
                QueryResponse page = client.query(r -> r.tableName(table).consistentRead(true)
                        .keyConditionExpression("#pk = :pk AND begins_with(#sk, :prefix)")
                        .expressionAttributeNames(Map.of("#pk", DynamoTables.PK, "#sk", DynamoTables.SK))
                        .expressionAttributeValues(Map.of(":pk", partition, ":prefix", s(MEMBER_PREFIX)))
                        .exclusiveStartKey(from));
                for (Map<String, AttributeValue> item : page.items()) {
                    long expiresAtSeconds = Long.parseLong(item.get(DynamoTables.TTL_ATTRIBUTE).n());
                    if (expiresAtSeconds * 1000 > nowMillis) {
                        live.add(new Member(item.get("id").s(), item.get("raft").s(), item.get("api").s(),
                                Instant.ofEpochMilli(Long.parseLong(item.get("heartbeat").n()))));
                    }
                }
                start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
            } while (start != null);
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "listing the members of cluster " + cluster, e);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException("DynamoDB table " + table + ": a registration in cluster " + cluster
                    + " lacks id, raft, api, heartbeat or expires_at (" + e + ")", e);
        }
        return live;
    }

    @Override
    public void deregister(String nodeId) throws IOException {
        try {
            client.deleteItem(r -> r.tableName(table).key(Map.of(DynamoTables.PK, partition, DynamoTables.SK, s(MEMBER_PREFIX + nodeId))));
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "deregistering " + nodeId + " from cluster " + cluster, e);
        }
    }

    @Override
    public String acquireBootstrapLock(String nodeId) throws IOException {
        try {
            client.putItem(r -> r.tableName(table)
                    .item(Map.of(DynamoTables.PK, partition, DynamoTables.SK, s(LOCK), "holder", s(nodeId),
                            "taken_at", s(clock.instant().toString())))
                    .conditionExpression("attribute_not_exists(#pk) OR #holder = :me")
                    .expressionAttributeNames(Map.of("#pk", DynamoTables.PK, "#holder", "holder"))
                    .expressionAttributeValues(Map.of(":me", s(nodeId))));
            return nodeId;
        } catch (ConditionalCheckFailedException e) {
            return bootstrapLockHolder().orElseThrow(() -> new IOException("DynamoDB table " + table
                    + ": the bootstrap lock of cluster " + cluster + " was deleted while " + nodeId + " asked for it; retry"));
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "taking the bootstrap lock of cluster " + cluster, e);
        }
    }

    @Override
    public Optional<String> bootstrapLockHolder() throws IOException {
        try {
            Map<String, AttributeValue> item = client.getItem(r -> r.tableName(table).consistentRead(true)
                    .key(Map.of(DynamoTables.PK, partition, DynamoTables.SK, s(LOCK)))).item();
            return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item.get("holder").s());
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "reading the bootstrap lock of cluster " + cluster, e);
        }
    }

    @Override
    public boolean publishLeader(PublishedLeader leader) throws IOException {
        try {
            client.putItem(r -> r.tableName(table)
                    .item(Map.of(DynamoTables.PK, partition, DynamoTables.SK, s(LEADER), "id", s(leader.id()),
                            "raft", s(leader.raftAddress()), "api", s(leader.apiAddress()), "term", n(leader.term()),
                            "published", n(leader.published().toEpochMilli())))
                    .conditionExpression("attribute_not_exists(#pk) OR #term <= :term")
                    .expressionAttributeNames(Map.of("#pk", DynamoTables.PK, "#term", "term"))
                    .expressionAttributeValues(Map.of(":term", n(leader.term()))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "publishing " + leader.id() + " as the leader of cluster " + cluster, e);
        }
    }

    @Override
    public Optional<PublishedLeader> publishedLeader() throws IOException {
        Map<String, AttributeValue> item;
        try {
            item = client.getItem(r -> r.tableName(table).consistentRead(true)
                    .key(Map.of(DynamoTables.PK, partition, DynamoTables.SK, s(LEADER)))).item();
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "reading the leader of cluster " + cluster, e);
        }
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new PublishedLeader(item.get("id").s(), item.get("raft").s(), item.get("api").s(),
                    Long.parseLong(item.get("term").n()), Instant.ofEpochMilli(Long.parseLong(item.get("published").n()))));
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new IOException("DynamoDB table " + table + ": the leader record of cluster " + cluster
                    + " lacks id, raft, api, term or published (" + e + ")", e);
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "DynamoDB discovery table " + table + " (cluster " + cluster + ")";
    }
}

package dev.skiff.storage.dynamo;

import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/**
 * The key schema both tables share with the Terraform module (terraform/README.md): partition
 * key {@code pk} (S), sort key {@code sk} (S); the discovery table's TTL attribute is
 * {@code expires_at} (epoch seconds). In production Terraform creates the tables;
 * {@code --create-tables} creates missing ones for development and tests.
 */
final class DynamoTables {

    /** Partition key attribute. */
    static final String PK = "pk";
    /** Sort key attribute. */
    static final String SK = "sk";
    /** The discovery table's TTL attribute, epoch seconds. */
    static final String TTL_ATTRIBUTE = "expires_at";

    private static final Logger log = LoggerFactory.getLogger(DynamoTables.class);

    private DynamoTables() {
    }

    /**
     * Checks that {@code table} exists with the expected keys; creates it (on demand billing,
     * with the TTL attribute if {@code withTtl}) when it is missing and {@code create} is set.
     *
     * @throws IOException naming the table when it is missing, has other keys, or cannot be reached
     */
    static void ensure(DynamoDbClient client, String table, boolean create, boolean withTtl) throws IOException {
        try {
            try {
                check(table, client.describeTable(r -> r.tableName(table)).table());
                return;
            } catch (ResourceNotFoundException e) {
                if (!create) {
                    throw new IOException("DynamoDB table " + table + " does not exist: create it with the Terraform module "
                            + "(terraform/), or pass --create-tables (development and tests only)");
                }
            }
            try {
                client.createTable(r -> r.tableName(table)
                        .billingMode(BillingMode.PAY_PER_REQUEST)
                        .attributeDefinitions(
                                AttributeDefinition.builder().attributeName(PK).attributeType(ScalarAttributeType.S).build(),
                                AttributeDefinition.builder().attributeName(SK).attributeType(ScalarAttributeType.S).build())
                        .keySchema(
                                KeySchemaElement.builder().attributeName(PK).keyType(KeyType.HASH).build(),
                                KeySchemaElement.builder().attributeName(SK).keyType(KeyType.RANGE).build()));
                log.info("created DynamoDB table {} (--create-tables)", table);
            } catch (ResourceInUseException e) {
                log.info("DynamoDB table {} is being created by another node", table);
            }
            client.waiter().waitUntilTableExists(r -> r.tableName(table));
            if (withTtl) {
                try {
                    client.updateTimeToLive(r -> r.tableName(table)
                            .timeToLiveSpecification(t -> t.attributeName(TTL_ATTRIBUTE).enabled(true)));
                } catch (SdkException e) {
                    // Expiry is also enforced by readers; the TTL only deletes old items.
                    log.info("could not enable TTL on {} ({}); expired registrations are still ignored", table, e.getMessage());
                }
            }
        } catch (SdkException e) {
            throw DynamoErrors.io(table, "checking the table", e);
        }
    }

    private static void check(String table, TableDescription d) throws IOException {
        List<KeySchemaElement> keys = d.keySchema();
        boolean ok = keys.size() == 2
                && keys.stream().anyMatch(k -> k.attributeName().equals(PK) && k.keyType() == KeyType.HASH)
                && keys.stream().anyMatch(k -> k.attributeName().equals(SK) && k.keyType() == KeyType.RANGE)
                && d.attributeDefinitions().stream().allMatch(a -> a.attributeType() == ScalarAttributeType.S);
        if (!ok) {
            throw new IOException("DynamoDB table " + table + " has key schema " + keys + ": Skiff needs partition key "
                    + PK + " (S) and sort key " + SK + " (S), as the Terraform module creates them");
        }
    }
}

package dev.skiff.storage.dynamo;

import dev.skiff.storage.CloudCallMeters;
import dev.skiff.storage.StorageUris;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Builds the DynamoDB client for a {@code dynamodb://TABLE[?region=R][&endpoint=URL]} URI,
 * the way API.md §5 says: credentials and region from the SDK's default chains (IAM roles on
 * EC2/ECS, {@code AWS_REGION}), endpoint from {@code endpoint=}, else
 * {@code AWS_ENDPOINT_URL_DYNAMODB} (system property {@code aws.endpointUrlDynamoDb}), else
 * {@code AWS_ENDPOINT_URL} ({@code aws.endpointUrl}) (LocalStack, the emulators module), else AWS.
 *
 * <p>Retries: the SDK's standard strategy (throttling, 5xx and connection errors) with more
 * attempts than its default, exponential backoff with full jitter, and no circuit breaker, so
 * that a burst of throttling never turns into a refusal to try; a call gives up after
 * {@link #CALL_TIMEOUT} and the caller reports the failure naming the table.
 */
final class DynamoClients {

    /** Attempts per call, the first included. */
    static final int MAX_ATTEMPTS = 8;
    /** Upper bound on one call, retries included: a stable store write blocks the Raft loop this long at most. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);
    /** Upper bound on one attempt. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

    private DynamoClients() {
    }

    /** The client for {@code uri}, honouring the environment given. */
    static DynamoDbClient forUri(URI uri, Map<String, String> env) {
        return forUri(uri, env, null);
    }

    /** The client for {@code uri}, honouring the environment given, reporting its calls to {@code meters} (none if null). */
    static DynamoDbClient forUri(URI uri, Map<String, String> env, CloudCallMeters meters) {
        ClientOverrideConfiguration overrides = meters == null ? overrides()
                : overrides().toBuilder().addExecutionInterceptor(new CallMetricsInterceptor(meters)).build();
        DynamoDbClientBuilder builder = DynamoDbClient.builder().overrideConfiguration(overrides);
        String endpoint = StorageUris.parameter(uri, "endpoint");
        if (endpoint == null) {
            endpoint = firstNonBlank(env.get("AWS_ENDPOINT_URL_DYNAMODB"), System.getProperty("aws.endpointUrlDynamoDb"),
                    env.get("AWS_ENDPOINT_URL"), System.getProperty("aws.endpointUrl"));
        }
        if (endpoint != null) {
            try {
                builder.endpointOverride(URI.create(endpoint));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("DynamoDB endpoint '" + endpoint + "' is not a URL (from " + uri + " or AWS_ENDPOINT_URL*)");
            }
        }
        String region = StorageUris.parameter(uri, "region");
        if (region != null) {
            builder.region(Region.of(region));
        } else {
            try {
                builder.region(DefaultAwsRegionProviderChain.builder().build().getRegion());
            } catch (SdkClientException e) {
                if (endpoint == null) {
                    throw new IllegalArgumentException("no AWS region for " + uri + ": set AWS_REGION (or ?region= in the URI)");
                }
                // An emulator does not care about the region; the SDK still wants one.
                builder.region(Region.US_EAST_1);
            }
        }
        return builder.build();
    }

    /** Retry and timeout settings shared by every client of this module (tests use them too). */
    static ClientOverrideConfiguration overrides() {
        StandardRetryStrategy retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(MAX_ATTEMPTS)
                .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(50), Duration.ofSeconds(2)))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(200), Duration.ofSeconds(5)))
                .circuitBreakerEnabled(false)
                .build();
        return ClientOverrideConfiguration.builder()
                .retryStrategy(retry)
                .apiCallTimeout(CALL_TIMEOUT)
                .apiCallAttemptTimeout(ATTEMPT_TIMEOUT)
                .build();
    }

    private static String firstNonBlank(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c.strip();
            }
        }
        return null;
    }
}

package dev.skiff.storage.s3;

import dev.skiff.storage.CloudCallMeters;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsRegionProvider;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Builds the {@link S3Client} for an {@link S3Location} the way API.md §5 says: credentials and
 * region from the SDK's default chains (environment, system properties, profile, IAM role), the
 * standard endpoint overrides ({@code AWS_ENDPOINT_URL_S3}, then {@code AWS_ENDPOINT_URL}, or
 * the system properties {@code aws.endpointUrlS3} / {@code aws.endpointUrl}), and path-style
 * addressing from the location.
 *
 * <p>Checksum behaviour is left to the SDK, which reads {@code AWS_REQUEST_CHECKSUM_CALCULATION}
 * and {@code AWS_RESPONSE_CHECKSUM_VALIDATION} (or {@code aws.requestChecksumCalculation} /
 * {@code aws.responseChecksumValidation}) itself: S3-compatible stores that mishandle the
 * SDK's default trailing checksums (S3Proxy, older MinIO and Ceph) need {@code when_required}.
 *
 * <p><b>Retries.</b> The SDK's standard strategy with more attempts ({@value #DEFAULT_MAX_ATTEMPTS},
 * or {@code AWS_MAX_ATTEMPTS}) and exponential backoff with full jitter, capped at 20 s; its
 * retry-quota circuit breaker is off, so that an outage is ridden out by backing off rather
 * than by failing fast once the quota is spent. It retries throttling, 5xx responses and
 * connection failures.
 *
 * <p>Stateless and thread-safe.
 */
public final class S3ClientFactory {

    /** Attempts per request (the first and the retries), unless AWS_MAX_ATTEMPTS says otherwise. */
    public static final int DEFAULT_MAX_ATTEMPTS = 10;
    /** Region assumed when none is configured but an endpoint override is (emulators ignore it). */
    static final Region EMULATOR_REGION = Region.US_EAST_1;

    private S3ClientFactory() {
    }

    /**
     * How requests are retried.
     *
     * @param maxAttempts   attempts per request, including the first
     * @param baseDelay     the first backoff (doubled per attempt, with full jitter)
     * @param throttleDelay the first backoff after a throttling error
     * @param maxDelay      the longest backoff
     */
    public record Retries(int maxAttempts, Duration baseDelay, Duration throttleDelay, Duration maxDelay) {

        /** @throws IllegalArgumentException if maxAttempts is below 1 */
        public Retries {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
            }
        }

        /** The production policy: {@code maxAttempts} attempts, 100 ms (throttling: 1 s) doubling up to 20 s. */
        public static Retries standard(int maxAttempts) {
            return new Retries(maxAttempts, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(20));
        }

        RetryStrategy strategy() {
            return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                    .maxAttempts(maxAttempts)
                    .backoffStrategy(BackoffStrategy.exponentialDelay(baseDelay, maxDelay))
                    .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(throttleDelay, maxDelay))
                    .circuitBreakerEnabled(false)
                    .build();
        }
    }

    /**
     * A client from the process's environment and system properties, with the standard retries,
     * reporting every call's latency and outcome to {@code meters}.
     */
    public static S3Client create(S3Location location, CloudCallMeters meters) {
        UnaryOperator<String> env = System::getenv;
        return create(location, env, System::getProperty, new DefaultAwsRegionProviderChain(),
                Retries.standard(maxAttempts(env)), meters);
    }

    /**
     * A client configured from the given lookups.
     *
     * @param env        reads environment variables (null when unset)
     * @param properties reads system properties (null when unset)
     * @param regions    the region chain
     * @throws IllegalArgumentException if no region is configured and no endpoint override is
     *                                  set, naming the ways to set one
     */
    public static S3Client create(S3Location location, UnaryOperator<String> env, UnaryOperator<String> properties,
                                  AwsRegionProvider regions, Retries retries) {
        return create(location, env, properties, regions, retries, null);
    }

    /**
     * A client configured from the given lookups that reports every call to {@code meters}
     * (none when null).
     *
     * @see #create(S3Location, UnaryOperator, UnaryOperator, AwsRegionProvider, Retries)
     */
    static S3Client create(S3Location location, UnaryOperator<String> env, UnaryOperator<String> properties,
                           AwsRegionProvider regions, Retries retries, CloudCallMeters meters) {
        Optional<URI> endpoint = endpointOverride(env, properties);
        ClientOverrideConfiguration.Builder overrides = ClientOverrideConfiguration.builder().retryStrategy(retries.strategy());
        if (meters != null) {
            overrides.addExecutionInterceptor(new CallMetricsInterceptor(meters));
        }
        S3ClientBuilder builder = S3Client.builder()
                .credentialsProvider(DefaultCredentialsProvider.create())
                .region(region(regions, endpoint.isPresent()))
                .forcePathStyle(location.pathStyle())
                .overrideConfiguration(overrides.build());
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /**
     * The standard S3 endpoint override: {@code AWS_ENDPOINT_URL_S3}, {@code aws.endpointUrlS3},
     * {@code AWS_ENDPOINT_URL}, {@code aws.endpointUrl}, in that order.
     *
     * @throws IllegalArgumentException if the value is not an absolute URI
     */
    static Optional<URI> endpointOverride(UnaryOperator<String> env, UnaryOperator<String> properties) {
        String[][] sources = {
            {"AWS_ENDPOINT_URL_S3", env.apply("AWS_ENDPOINT_URL_S3")},
            {"aws.endpointUrlS3", properties.apply("aws.endpointUrlS3")},
            {"AWS_ENDPOINT_URL", env.apply("AWS_ENDPOINT_URL")},
            {"aws.endpointUrl", properties.apply("aws.endpointUrl")},
        };
        for (String[] source : sources) {
            String value = source[1];
            if (value != null && !value.isBlank()) {
                URI uri;
                try {
                    uri = URI.create(value.trim());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source[0] + " is not a URI: '" + value + "'", e);
                }
                if (!uri.isAbsolute() || uri.getHost() == null) {
                    throw new IllegalArgumentException(source[0] + " must be an absolute URL such as http://127.0.0.1:9000, got '"
                            + value + "'");
                }
                return Optional.of(uri);
            }
        }
        return Optional.empty();
    }

    private static Region region(AwsRegionProvider regions, boolean endpointOverridden) {
        try {
            return regions.getRegion();
        } catch (SdkClientException e) {
            if (endpointOverridden) {
                return EMULATOR_REGION;
            }
            throw new IllegalArgumentException("no AWS region is configured for S3: set AWS_REGION (or the aws.region "
                    + "system property, or region in ~/.aws/config); on EC2 or ECS the instance metadata provides it ("
                    + e.getMessage() + ")", e);
        }
    }

    private static int maxAttempts(UnaryOperator<String> env) {
        String value = env.apply("AWS_MAX_ATTEMPTS");
        if (value == null || value.isBlank()) {
            return DEFAULT_MAX_ATTEMPTS;
        }
        try {
            return Math.max(1, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("AWS_MAX_ATTEMPTS must be a whole number, got '" + value + "'", e);
        }
    }
}

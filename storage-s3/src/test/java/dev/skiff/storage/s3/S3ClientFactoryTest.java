package dev.skiff.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;

class S3ClientFactoryTest {

    private static final S3Location LOCATION = new S3Location("bucket", "p", true, "", "", S3Location.MIN_PART_SIZE);
    private static final AwsRegionProvider NO_REGION = () -> {
        throw SdkClientException.create("Unable to load region from any of the providers in the chain");
    };

    @Test
    void when_endpointOverridesAreSet_then_theS3SpecificOneWins() {
        Map<String, String> env = Map.of("AWS_ENDPOINT_URL_S3", "http://s3.local:9000", "AWS_ENDPOINT_URL", "http://all:1");
        Map<String, String> props = Map.of("aws.endpointUrl", "http://props:2");
        assertThat(S3ClientFactory.endpointOverride(env::get, props::get)).contains(URI.create("http://s3.local:9000"));
        assertThat(S3ClientFactory.endpointOverride(Map.of("AWS_ENDPOINT_URL", "http://all:1")::get, props::get))
                .contains(URI.create("http://all:1"));
        assertThat(S3ClientFactory.endpointOverride(name -> null, props::get)).contains(URI.create("http://props:2"));
        assertThat(S3ClientFactory.endpointOverride(name -> null, name -> null)).isEmpty();
    }

    @Test
    void when_endpointIsNotAUrl_then_theErrorNamesTheVariable() {
        assertThatThrownBy(() -> S3ClientFactory.endpointOverride(Map.of("AWS_ENDPOINT_URL_S3", "localhost")::get, n -> null))
                .hasMessageContaining("AWS_ENDPOINT_URL_S3 must be an absolute URL");
    }

    @Test
    void when_noRegionAndNoEndpoint_then_aClearErrorNamesAwsRegion() {
        assertThatThrownBy(() -> S3ClientFactory.create(LOCATION, n -> null, n -> null, NO_REGION,
                S3ClientFactory.Retries.standard(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no AWS region is configured")
                .hasMessageContaining("AWS_REGION");
    }

    @Test
    void when_noRegionButAnEndpointOverride_then_usEast1() {
        try (S3Client client = S3ClientFactory.create(LOCATION, Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9")::get,
                n -> null, NO_REGION, S3ClientFactory.Retries.standard(1))) {
            assertThat(client.serviceClientConfiguration().region()).isEqualTo(Region.US_EAST_1);
            assertThat(client.serviceClientConfiguration().endpointOverride()).contains(URI.create("http://127.0.0.1:9"));
        }
    }

    @Test
    void when_regionIsConfigured_then_itIsUsed() {
        try (S3Client client = S3ClientFactory.create(LOCATION, n -> null, n -> null, () -> Region.EU_WEST_1,
                S3ClientFactory.Retries.standard(1))) {
            assertThat(client.serviceClientConfiguration().region()).isEqualTo(Region.EU_WEST_1);
        }
    }
}

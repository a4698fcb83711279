package dev.skiff.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageProvider;
import dev.skiff.storage.StorageProviders;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import org.junit.jupiter.api.Test;

class S3StorageProviderTest {

    @Test
    void when_uriIsS3_then_serviceLoaderFindsThisProvider() {
        StorageProvider provider = StorageProviders.forUri(URI.create("s3://bucket/prefix"), "--snapshots");
        assertThat(provider).isInstanceOf(S3StorageProvider.class);
        assertThat(provider.schemes()).containsExactly("s3");
    }

    @Test
    void when_endpointOverrideIsSet_then_theProviderOpensAWorkingStore() throws Exception {
        S3ProxyServer server = S3ProxyServer.get();
        // The standard system property form of AWS_ENDPOINT_URL_S3, as an operator would set it.
        System.setProperty("aws.endpointUrlS3", server.endpoint().toString());
        try {
            URI uri = URI.create("s3://" + S3ProxyServer.BUCKET + "/" + S3ProxyServer.location("provider").prefix()
                    + "?pathStyle=true");
            SnapshotStore store = StorageProviders.forUri(uri, "--snapshots")
                    .snapshotStore(uri, new StorageContext("c", "n1", 3, false));
            assertThat(store).isInstanceOf(S3SnapshotStore.class);
            assertThat(store.list()).isEmpty();
            ((S3SnapshotStore) store).close();
        } finally {
            System.clearProperty("aws.endpointUrlS3");
        }
    }

    @Test
    void when_theStoreCallsS3_then_latencyAndErrorsReachTheContextsRegistry() throws Exception {
        S3ProxyServer server = S3ProxyServer.get();
        System.setProperty("aws.endpointUrlS3", server.endpoint().toString());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            URI uri = URI.create("s3://" + S3ProxyServer.BUCKET + "/" + S3ProxyServer.location("metered").prefix()
                    + "?pathStyle=true");
            S3SnapshotStore store = (S3SnapshotStore) StorageProviders.forUri(uri, "--snapshots")
                    .snapshotStore(uri, new StorageContext("c", "n1", 3, false, registry));
            store.list();
            assertThatThrownBy(() -> store.open("1-1-1-0000abcd")).isInstanceOf(java.io.IOException.class);
            store.close();
        } finally {
            System.clearProperty("aws.endpointUrlS3");
        }
        String scrape = registry.scrape();
        assertThat(scrape).contains("# HELP skiff_cloud_call_seconds ")
                .containsPattern("skiff_cloud_call_seconds_count\\{operation=\"ListObjectsV2\",outcome=\"ok\",service=\"S3\"} [1-9]")
                .contains("# HELP skiff_cloud_call_errors_total ")
                .containsPattern("skiff_cloud_call_errors_total\\{error=\"NoSuchKey\",operation=\"GetObject\",service=\"S3\"} [1-9]");
    }
}

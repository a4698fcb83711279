package dev.skiff.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StorageUrisTest {

    @Test
    void readsDecodedParametersInOrder_bareKeysAsEmpty_lastRepeatWins() {
        URI uri = URI.create("dynamodb://t?cluster=prod%2Dwest&endpoint=http%3A%2F%2F127.0.0.1%3A8000&pathStyle&cluster=eu");
        assertThat(StorageUris.query(uri)).containsExactly(
                Map.entry("cluster", "eu"),
                Map.entry("endpoint", "http://127.0.0.1:8000"),
                Map.entry("pathStyle", ""));
        assertThat(StorageUris.parameter(uri, "endpoint")).isEqualTo("http://127.0.0.1:8000");
        assertThat(StorageUris.parameter(uri, "region")).isNull();
        assertThat(StorageUris.query(URI.create("s3://bucket/prefix"))).isEmpty();
    }
}

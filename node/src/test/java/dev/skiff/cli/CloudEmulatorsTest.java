package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without storage-dynamo (this module's class path), {@code demo --cloud} says what is missing. */
class CloudEmulatorsTest {

    @TempDir
    Path tmp;

    @Test
    void when_storageDynamoIsMissing_then_cloudDemoSaysSo() {
        assertThatThrownBy(() -> CloudEmulators.start(tmp, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storage-dynamo module is missing");
    }
}

package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.StableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStableStoreTest {

    @TempDir
    Path dir;

    @Test
    void when_fileIsDamaged_then_openRefusesNamingFileAndOffset() throws IOException {
        try (FileStableStore s = FileStableStore.open(dir)) {
            s.setLong(StableStore.CURRENT_TERM, 12);
        }
        Path file = dir.resolve(FileStableStore.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 4;
        Files.write(file, bytes);
        assertThatThrownBy(() -> FileStableStore.open(dir)).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(FileStableStore.FILE_NAME).hasMessageContaining("at offset")
                .hasMessageContaining("move this node's data dir aside");
    }

    @Test
    void when_crashLeftATemporaryFile_then_theLastCompleteWriteIsKept() throws IOException {
        try (FileStableStore s = FileStableStore.open(dir)) {
            s.setLong(StableStore.CURRENT_TERM, 3);
        }
        Files.write(dir.resolve(FileStableStore.FILE_NAME + ".tmp"), new byte[] {1, 2, 3});
        try (FileStableStore s = FileStableStore.open(dir)) {
            assertThat(s.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(3);
            assertThat(Files.exists(dir.resolve(FileStableStore.FILE_NAME + ".tmp"))).isFalse();
        }
    }
}

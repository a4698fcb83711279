package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSnapshotStoreTest {

    private static final Configuration CONFIG = Configuration.of(Server.voter("a", "h:1"));

    @TempDir
    Path dir;

    private SnapshotMeta write(FileSnapshotStore s, byte[] data) throws IOException {
        SnapshotSink sink = s.create(10, 2, CONFIG, 1);
        sink.out().write(data);
        return sink.commit();
    }

    @Test
    void when_dataIsDamaged_then_readingToTheEndThrowsNamingTheFile() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        SnapshotMeta meta = write(s, new byte[100_000]);
        Path data = dir.resolve(meta.id()).resolve(FileSnapshotStore.DATA_FILE);
        byte[] bytes = Files.readAllBytes(data);
        bytes[77_777] = 1;
        Files.write(data, bytes);
        try (OpenSnapshot open = s.open(meta.id())) {
            assertThatThrownBy(() -> open.data().readAllBytes()).isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining(meta.id()).hasMessageContaining("checksum");
        }
    }

    @Test
    void when_dataIsCutShort_then_readingThrows() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        SnapshotMeta meta = write(s, new byte[1000]);
        Path data = dir.resolve(meta.id()).resolve(FileSnapshotStore.DATA_FILE);
        Files.write(data, new byte[500]);
        try (OpenSnapshot open = s.open(meta.id())) {
            assertThatThrownBy(() -> open.data().readAllBytes()).isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("ends after 500 bytes");
        }
    }

    @Test
    void when_metadataIsDamaged_then_openRefusesAndListSkipsIt() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 3);
        SnapshotMeta good = write(s, new byte[10]);
        SnapshotMeta bad = write(s, new byte[10]);
        Path meta = dir.resolve(bad.id()).resolve(FileSnapshotStore.META_FILE);
        Files.writeString(meta, Files.readString(meta).replace("index=10", "index=11"));
        assertThatThrownBy(() -> s.open(bad.id())).isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(FileSnapshotStore.META_FILE);
        assertThat(s.list()).containsExactly(good);
    }

    @Test
    void when_crashLeftAnUnfinishedSnapshot_then_openRemovesIt() throws IOException {
        FileSnapshotStore s = FileSnapshotStore.open(dir, 2);
        SnapshotSink sink = s.create(10, 2, CONFIG, 1);
        sink.out().write(new byte[100]);
        assertThat(Files.exists(dir.resolve(sink.id() + ".tmp"))).isTrue();
        FileSnapshotStore restarted = FileSnapshotStore.open(dir, 2);
        assertThat(Files.exists(dir.resolve(sink.id() + ".tmp"))).isFalse();
        assertThat(restarted.list()).isEmpty();
    }

    @Test
    void when_openedForReading_then_itListsAndReadsButCreatesAndRemovesNothing() throws IOException {
        SnapshotMeta meta = write(FileSnapshotStore.open(dir, 2), new byte[] {1, 2, 3});
        Path unrelated = Files.createDirectory(dir.resolve("someone-elses.tmp"));
        Files.writeString(dir.resolve("notes.tmp"), "keep me");

        FileSnapshotStore reading = FileSnapshotStore.openForReading(dir);

        assertThat(reading.list()).containsExactly(meta);
        try (OpenSnapshot open = reading.open(meta.id())) {
            assertThat(open.data().readAllBytes()).containsExactly(1, 2, 3);
        }
        assertThatThrownBy(() -> reading.create(11, 2, CONFIG, 1)).hasMessageContaining("opened for reading only");
        assertThat(unrelated).isDirectory();
        assertThat(dir.resolve("notes.tmp")).hasContent("keep me");
        assertThatThrownBy(() -> FileSnapshotStore.openForReading(dir.resolve("missing")))
                .isInstanceOf(java.io.FileNotFoundException.class);
        assertThat(dir.resolve("missing")).doesNotExist();
    }
}

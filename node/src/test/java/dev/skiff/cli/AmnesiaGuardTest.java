package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.StableStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The amnesia guard on an in-memory "remote" stable store (storage-dynamo runs it on the open-source DynamoDB emulator). */
class AmnesiaGuardTest {

    @TempDir
    Path tmp;
    private final StableStore remote = new InMemoryStableStore();

    private void vote(long term, String candidate) throws IOException {
        remote.setAll(Map.of(StableStore.CURRENT_TERM, StableStore.encodeLong(term),
                StableStore.LAST_VOTE_TERM, StableStore.encodeLong(term),
                StableStore.LAST_VOTE_CANDIDATE, candidate.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void when_freshNodeAndFreshRecord_then_itStartsAndLaterStartsPass() throws IOException {
        Path data = tmp.resolve("n1");
        AmnesiaGuard.check(remote, data, "n1", false);
        vote(3, "n2");
        AmnesiaGuard.check(remote, data, "n1", true);
        assertThat(data.resolve("raft").resolve(AmnesiaGuard.MARKER_FILE)).exists();
    }

    @Test
    void when_dataDirLostButRecordHasVoted_then_itStartsWithANewPairing_becauseItsNewLogIsNotCountedUntilCaughtUp()
            throws IOException {
        AmnesiaGuard.check(remote, tmp.resolve("old"), "n1", false);
        String before = new String(remote.get(AmnesiaGuard.RECORD_ID_KEY).orElseThrow(), StandardCharsets.UTF_8);
        vote(7, "n2");

        AmnesiaGuard.check(remote, tmp.resolve("new-empty-disk"), "n1", false);

        String after = new String(remote.get(AmnesiaGuard.RECORD_ID_KEY).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(after).isNotEqualTo(before);
        assertThat(remote.getLong(StableStore.CURRENT_TERM, 0)).as("term and vote are kept").isEqualTo(7);
        AmnesiaGuard.check(remote, tmp.resolve("new-empty-disk"), "n1", true);
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("old"), "n1", true))
                .as("the machine that had the old data dir, if it comes back, is a second node with the same id")
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("two data dirs use --id n1");
    }

    @Test
    void when_aDataDirWithALogHasNoMarkerButTheRecordWasUsed_then_itRefusesAndSaysWhatToDo() throws IOException {
        vote(4, "n3");
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("copied"), "n1", true))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("shows term 4")
                .hasMessageContaining("move").hasMessageContaining("aside");
    }

    @Test
    void when_crashBetweenStampingRecordAndDataDir_then_theNextStartStampsAgain() throws IOException {
        remote.set(AmnesiaGuard.RECORD_ID_KEY, "left-over".getBytes(StandardCharsets.UTF_8));
        AmnesiaGuard.check(remote, tmp.resolve("n1"), "n1", false);
        AmnesiaGuard.check(remote, tmp.resolve("n1"), "n1", false);
    }

    @Test
    void when_twoDataDirsUseOneRecord_then_theSecondIsRefused() throws IOException {
        AmnesiaGuard.check(remote, tmp.resolve("a"), "n1", false);
        StableStore other = new InMemoryStableStore();
        AmnesiaGuard.check(other, tmp.resolve("b"), "n1", false);
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("b"), "n1", true))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("two data dirs use --id n1");
    }

    @Test
    void when_recordDeletedUnderADataDirWithALog_then_itRefuses() throws IOException {
        AmnesiaGuard.check(remote, tmp.resolve("n1"), "n1", false);
        assertThatThrownBy(() -> AmnesiaGuard.check(new InMemoryStableStore(), tmp.resolve("n1"), "n1", true))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("is gone");
    }

    @Test
    void when_stableSwitchedForANodeWithALog_then_itRefuses() {
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("n1"), "n1", true))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("was --stable changed");
    }
}

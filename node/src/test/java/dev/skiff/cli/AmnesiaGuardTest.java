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
    void when_dataDirLostButRecordHasVoted_then_itRefusesAndSaysWhatToDo() throws IOException {
        AmnesiaGuard.check(remote, tmp.resolve("old"), "n1", false);
        vote(7, "n2");
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("new-empty-disk"), "n1", false))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class)
                .hasMessageContaining("node n1 has no Raft state")
                .hasMessageContaining("term 7 and a vote for n2")
                .hasMessageContaining("DELETE")
                .hasMessageContaining("new --id");
    }

    @Test
    void when_recordOnlyHasATerm_then_itStillRefuses() throws IOException {
        remote.setLong(StableStore.CURRENT_TERM, 2);
        assertThatThrownBy(() -> AmnesiaGuard.check(remote, tmp.resolve("n1"), "n1", false))
                .isInstanceOf(AmnesiaGuard.AmnesiaException.class).hasMessageContaining("term 2");
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

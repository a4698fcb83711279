package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.message.ForwardedProposalsResponse;
import org.junit.jupiter.api.Test;

class SeenBatchesTest {

    private static ForwardedProposalsResponse answer(long batchId, long firstIndex) {
        return new ForwardedProposalsResponse(8, "n4", "n4:7000", "n5", 1, batchId, firstIndex, "");
    }

    @Test
    void aRestartedSendersOldBatchStillGetsItsFirstAnswerAfterTheNewProcessIsHeardFrom() {
        SeenBatches seen = new SeenBatches();
        seen.remember("n5", 317, 14, answer(14, 75));
        seen.remember("n5", 781, 2, answer(2, 85));

        assertThat(seen.answerGiven("n5", 317, 14)).isEqualTo(answer(14, 75));
        assertThat(seen.mayBeNew("n5", 317, 14)).isFalse();
        assertThat(seen.answerGiven("n5", 781, 2)).isEqualTo(answer(2, 85));
        assertThat(seen.mayBeNew("n5", 781, 3)).isTrue();
    }

    @Test
    void theProcessesHeardFromMostRecentlyAreKept() {
        SeenBatches seen = new SeenBatches();
        seen.remember("n5", 1, 1, answer(1, 10));
        for (long epoch = 2; epoch <= SeenBatches.EPOCHS; epoch++) {
            seen.remember("n5", epoch, 1, answer(1, 10 + epoch));
        }
        // Epoch 1 is heard from again: it is now the most recent, and epoch 2 the oldest.
        seen.remember("n5", 1, 2, answer(2, 20));
        seen.remember("n5", 100, 1, answer(1, 30));

        assertThat(seen.answerGiven("n5", 1, 1)).isEqualTo(answer(1, 10));
        assertThat(seen.answerGiven("n5", 2, 1)).isNull();
        assertThat(seen.answerGiven("n5", 3, 1)).isEqualTo(answer(1, 13));
        assertThat(seen.answerGiven("n5", 100, 1)).isEqualTo(answer(1, 30));
    }

    @Test
    void idsBelowTheWindowAreNeverNew() {
        SeenBatches seen = new SeenBatches();
        seen.remember("n5", 1, 1, answer(1, 10));
        seen.remember("n5", 1, 1 + SeenBatches.WINDOW, answer(1 + SeenBatches.WINDOW, 11));

        assertThat(seen.answerGiven("n5", 1, 1)).isNull();
        assertThat(seen.mayBeNew("n5", 1, 1)).isFalse();
        assertThat(seen.mayBeNew("n5", 1, 2 + SeenBatches.WINDOW)).isTrue();
    }
}

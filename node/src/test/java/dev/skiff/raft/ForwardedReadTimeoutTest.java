package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.LoopEvent.Read;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A read a follower forwarded and the leader never answered fails as a timeout that changed
 * nothing, and says so in the words of a read (nothing of "applied", which is for writes).
 */
class ForwardedReadTimeoutTest {

    private static final long READ_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);

    @Test
    void anUnansweredReadIndexRequest_failsItsReadsAsATimeoutThatChangedNothing() {
        List<RaftMessage> sent = new ArrayList<>();
        ForwardedOperations forwarded = new ForwardedOperations("n2", "n2.local:9000", 1, (address, m) -> sent.add(m));
        CompletableFuture<Long> read = new CompletableFuture<>();

        forwarded.read(new Read(false, true, read));
        forwarded.flush(Server.voter("n1", "n1.local:9000"), 3, "", 0);
        forwarded.expire(READ_TIMEOUT_NANOS - 1, READ_TIMEOUT_NANOS);
        assertThat(sent).singleElement().isInstanceOf(ReadIndexRequest.class);
        assertThat(read).isNotDone();

        forwarded.expire(READ_TIMEOUT_NANOS, READ_TIMEOUT_NANOS);
        assertThat(read).failsWithin(Duration.ZERO).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(RaftTimeoutException.class, e -> assertThat(e.outcomeUnknown()).isFalse())
                .withMessage("the leader did not answer a read-index request within 2000 ms");
    }
}

package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutboxTest {

    private static AppendEntriesResponse success(long term, String to, long lastLogIndex, long readSeq) {
        return new AppendEntriesResponse(term, "n2", "n2:1", to, true, lastLogIndex, 0, 0, readSeq, "inc");
    }

    private static AppendEntriesResponse rejection(long term, String to, long index) {
        return new AppendEntriesResponse(term, "n2", "n2:1", to, false, index, index, 1, 7, "inc");
    }

    private static List<RaftMessage> messages(Outbox outbox) {
        return outbox.drain().stream().map(Outbound::message).toList();
    }

    @Test
    void successfulAnswersToOneLeaderInOneTermLeaveAsOneWithTheLargestIndexAndReadSeq() {
        Outbox outbox = new Outbox();
        outbox.add("n1:1", success(3, "n1", 10, 5));
        outbox.add("n1:1", success(3, "n1", 14, 4));
        outbox.add("n1:1", success(3, "n1", 12, 6));

        assertThat(messages(outbox)).containsExactly(success(3, "n1", 14, 6));
        assertThat(outbox.isEmpty()).isTrue();
    }

    @Test
    void rejectionsOtherTermsOtherReceiversAndOtherMessagesLeaveUnchangedInOrder() {
        Outbox outbox = new Outbox();
        RequestVote vote = new RequestVote(4, "n2", "n2:1", "n3", 9, 3, false, false);
        outbox.add("n1:1", success(3, "n1", 10, 5));
        outbox.add("n1:1", rejection(3, "n1", 8));
        outbox.add("n3:1", success(3, "n3", 11, 1));
        outbox.add("n3:1", vote);
        outbox.add("n1:1", success(4, "n1", 12, 1));

        assertThat(messages(outbox)).containsExactly(success(3, "n1", 10, 5), rejection(3, "n1", 8),
                success(3, "n3", 11, 1), vote, success(4, "n1", 12, 1));
    }

    @Test
    void theMergedAnswerTakesThePlaceOfTheLatestSoARejectionBetweenComesFirst() {
        Outbox outbox = new Outbox();
        outbox.add("n1:1", success(3, "n1", 10, 5));
        outbox.add("n1:1", rejection(3, "n1", 8));
        outbox.add("n1:1", success(3, "n1", 11, 6));

        assertThat(messages(outbox)).containsExactly(rejection(3, "n1", 8), success(3, "n1", 11, 6));
    }
}

package dev.skiff.raft.core;

import static dev.skiff.raft.core.CoreFixtures.leader;
import static dev.skiff.raft.core.CoreFixtures.node;
import static dev.skiff.raft.core.CoreFixtures.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Forwarded batches on the receiving core (issue #17): a batch is appended at most once however
 * often it arrives, and a resent batch whose first copy was lost (the follower's transport
 * dropped it while the leader's address was in back-off; CI's ClientIT timed out with 504 on
 * that) is appended by the leader of the term it was sent in, and by nobody else.
 */
class ForwardedBatchTest {

    private static ForwardedProposals batch(ScriptNode to, long term, long batchId, boolean resent) {
        return new ForwardedProposals(term, "2", "2:7000", to.id, 77, batchId, resent,
                List.of(("command-" + batchId).getBytes(StandardCharsets.UTF_8)));
    }

    private static List<ForwardedProposalsResponse> answers(ScriptNode n) {
        return only(ForwardedProposalsResponse.class, n.drainMessages());
    }

    @Test
    void aResentBatchWhoseFirstCopyWasLostIsAppendedOnceByTheLeaderOfItsTerm() {
        ScriptNode leader = leader(3, false);
        long term = leader.core.term();
        long before = leader.core.lastIndex();

        leader.core.step(batch(leader, term, 5, true));
        List<ForwardedProposalsResponse> first = answers(leader);
        assertThat(first).hasSize(1);
        assertThat(first.get(0).firstIndex()).isEqualTo(before + 1);
        assertThat(leader.core.lastIndex()).isEqualTo(before + 1);

        // Resent again, and the lost first copy turning up late: the same answer, no second append.
        leader.core.step(batch(leader, term, 5, true));
        leader.core.step(batch(leader, term, 5, false));
        assertThat(answers(leader)).extracting(ForwardedProposalsResponse::firstIndex).containsExactly(before + 1, before + 1);
        assertThat(leader.core.lastIndex()).isEqualTo(before + 1);
    }

    @Test
    void aResentBatchWithoutARecordIsIgnoredByAFollowerAndByALeaderOfAnotherTerm() {
        ScriptNode leader = leader(3, false);
        long before = leader.core.lastIndex();
        // Sent in an earlier term: another process may have led it and appended the first copy.
        leader.core.step(batch(leader, leader.core.term() - 1, 6, true));
        assertThat(answers(leader)).isEmpty();
        assertThat(leader.core.lastIndex()).isEqualTo(before);

        ScriptNode follower = node("3", 3, false, false, 2, 1, 2);
        follower.core.step(batch(follower, 2, 7, true));
        assertThat(answers(follower)).as("a follower neither appends nor refuses a resent batch").isEmpty();
        // A first copy is refused by a follower: nothing appended, so a refusal is final.
        follower.core.step(batch(follower, 2, 8, false));
        assertThat(answers(follower)).singleElement().satisfies(r -> assertThat(r.firstIndex()).isZero());
    }
}

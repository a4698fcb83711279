package dev.skiff.raft.message;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Commands that a follower's clients proposed, sent to the leader to append (thesis §6.2; etcd
 * forwards {@code MsgProp} the same way). The leader appends them as consecutive entries of its
 * term and answers with {@link ForwardedProposalsResponse}; the follower then learns each
 * command's outcome from its own state machine when it applies that index in that term. A batch
 * is appended at most once: a leader answers a batch it has seen before (the transport may deliver
 * a message twice, and a follower sends an unanswered batch again to the same leader in the same
 * term) with the answer it gave the first time, and a server that has no record of a batch sent
 * again says nothing, so a command is never appended twice.
 *
 * <p>Unlike the other messages it is not bound to a term: a leader appends it whatever term the
 * follower is in, and a server that is not the leader refuses it.
 *
 * @param term        sender's current term (informational)
 * @param from        sender's id
 * @param fromAddress sender's transport address, where the answer goes
 * @param to          the leader's id
 * @param epoch       the sending process's incarnation: batch ids count up from 1 in each
 * @param batchId     the sender's id for this batch, echoed in the answer
 * @param resent      whether the sender sent this batch before (then only a server that
 *                    remembers answering it may answer)
 * @param commands    the commands' bytes, in the order they are to be appended
 */
public record ForwardedProposals(long term, String from, String fromAddress, String to, long epoch, long batchId,
                                 boolean resent, List<byte[]> commands) implements RaftMessage {

    /** Equal when every field is, the commands compared by content. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ForwardedProposals other) || term != other.term || epoch != other.epoch || batchId != other.batchId
                || resent != other.resent
                || !from.equals(other.from) || !fromAddress.equals(other.fromAddress) || !to.equals(other.to)
                || commands.size() != other.commands.size()) {
            return false;
        }
        for (int i = 0; i < commands.size(); i++) {
            if (!Arrays.equals(commands.get(i), other.commands.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(term, from, fromAddress, to, epoch, batchId, resent);
        for (byte[] command : commands) {
            h = 31 * h + Arrays.hashCode(command);
        }
        return h;
    }

    @Override
    public String toString() {
        return "ForwardedProposals[term=" + term + ", from=" + from + ", to=" + to + ", epoch=" + epoch + ", batchId=" + batchId + (resent ? ", resent" : "")
                + ", commands=" + commands.size() + "]";
    }
}

package dev.skiff.raft.message;

/**
 * A follower asks the leader for a read index (thesis §6.4): one request stands for every read
 * that reached the follower since its last one. The leader answers with
 * {@link ReadIndexResponse} once a quorum has confirmed its leadership after the request
 * arrived (or at once under its lease when {@code lease} is set); a read of the follower's state
 * machine after it has applied that index is linearizable.
 *
 * <p>Not bound to a term, like {@link ForwardedProposals}: any leader answers it. But a request
 * sent in the leader's own term, from a log whose acknowledgements count, tells the leader that
 * its sender had voted in no later term when it asked; where the leader and the sender make a
 * majority, that is the quorum round, and the leader answers at once.
 *
 * @param term        sender's current term when it sent the request
 * @param from        sender's id
 * @param fromAddress sender's transport address
 * @param to          the leader's id
 * @param epoch       the sending process's incarnation (as in {@link ForwardedProposals}), echoed
 * @param requestId   the sender's id for this request, echoed
 * @param lease       whether the leader may answer from its lease instead of a quorum round
 * @param incarnation sender's log incarnation, as its other answers carry it
 */
public record ReadIndexRequest(long term, String from, String fromAddress, String to, long epoch,
                               long requestId, boolean lease, String incarnation) implements RaftMessage {
}

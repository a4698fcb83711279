package dev.skiff.raft.message;

/**
 * A Raft RPC message. Every message is one-way: a response is a message of its own, sent back
 * to {@link #fromAddress()}. Dispatch with an exhaustive {@code switch} over the permitted
 * records; the compiler rejects a missing case.
 *
 * <p>Every message carries the sender's term (§5.1: a receiver that sees a higher term adopts
 * it), the sender's id and transport address (so a server can answer a peer that is not yet in
 * its configuration, such as a leader contacting a joining server), and the intended
 * receiver's id (a message that reaches a different server at a reused address is dropped).
 */
public sealed interface RaftMessage
        permits AppendEntries, AppendEntriesResponse, RequestVote, RequestVoteResponse,
                InstallSnapshot, InstallSnapshotResponse, TimeoutNow,
                ForwardedProposals, ForwardedProposalsResponse, ReadIndexRequest, ReadIndexResponse {

    /** The sender's current term (for a pre-vote request: the term it would campaign in). */
    long term();

    /** The sender's server id. */
    String from();

    /** The sender's transport address, where responses go. */
    String fromAddress();

    /** The intended receiver's server id. */
    String to();
}

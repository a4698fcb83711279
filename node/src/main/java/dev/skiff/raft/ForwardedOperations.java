package dev.skiff.raft;

import dev.skiff.raft.LoopEvent.Propose;
import dev.skiff.raft.LoopEvent.Read;
import dev.skiff.raft.PendingOperations.Proposal;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexRequest;
import dev.skiff.raft.message.ReadIndexResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A follower's side of forwarding, after etcd's {@code MsgProp} and {@code MsgReadIndex}: the
 * commands its clients propose and the reads they make while another server leads. They queue
 * while the loop handles a batch of events and leave at its end, one message per kind to the
 * leader over the raft transport (authenticated and, with TLS, encrypted like every raft
 * message), so one round trip serves every request that arrived meanwhile and no thread waits
 * per request.
 *
 * <p><b>Commands.</b> The leader answers where it appended a batch (index and term), or that it
 * appended nothing. Each command then waits in {@link PendingOperations} like a leader's own
 * proposal, and completes when this server applies its index: with the state machine's answer if
 * the entry there is of the answered term, else as replaced (never committed). A batch is sent
 * once and never again, so a command is never appended twice; without an answer its commands
 * time out with the outcome unknown.
 *
 * <p><b>Reads.</b> The leader answers with a read index once a quorum confirmed it after the
 * request arrived (the request itself this server's part of it; or under its lease, for lease
 * reads); each read completes once this server
 * has applied that index (thesis §6.4), or fails when the leader says it is not the leader or
 * does not answer in time.
 *
 * <p><b>Answers</b> carry the epoch of what they answer, and only this process's are taken: a
 * process that replaced another under the same id (a restart, a second process) numbers its
 * batches and requests from 1 again, and an answer the leader addressed to the other one (still
 * queued, or sent again to a batch the other one resent) would otherwise complete this one's
 * commands with another command's index (found by the simulation, seed 1179).
 *
 * <p>Owned by the loop thread.
 */
final class ForwardedOperations {

    /** A batch waiting for the leader's answer: {@code message} went to {@code leaderId} in {@code term}. */
    private static final class SentProposals {
        final List<Propose> proposals;
        final ForwardedProposals message;
        final String leaderAddress;
        final long term;
        long lastSentNanos;

        SentProposals(List<Propose> proposals, ForwardedProposals message, String leaderAddress, long term, long sentNanos) {
            this.proposals = proposals;
            this.message = message;
            this.leaderAddress = leaderAddress;
            this.term = term;
            this.lastSentNanos = sentNanos;
        }
    }

    /** A read-index request waiting for an answer. */
    private static final class SentReads {
        final List<Read> reads;
        final boolean lease;
        final long firstSentNanos;
        long lastSentNanos;

        SentReads(List<Read> reads, boolean lease, long sentNanos) {
            this.reads = reads;
            this.lease = lease;
            this.firstSentNanos = sentNanos;
            this.lastSentNanos = sentNanos;
        }
    }

    private final String localId;
    private final String localAddress;
    private final long epoch;
    private final BiConsumer<String, RaftMessage> transport;
    private final List<Propose> queuedProposals = new ArrayList<>();
    private final List<Read> queuedLeaseReads = new ArrayList<>();
    private final List<Read> queuedIndexReads = new ArrayList<>();
    private final Map<Long, SentProposals> sentProposals = new LinkedHashMap<>();
    private final Map<Long, SentReads> sentReads = new LinkedHashMap<>();
    private long nextId = 1;
    private int proposalCount;
    private long commandsSent;
    private long readsSent;

    /**
     * @param epoch     this process's incarnation, different from any earlier process's under this id
     * @param transport sends a message to an address (never blocks)
     */
    ForwardedOperations(String localId, String localAddress, long epoch, BiConsumer<String, RaftMessage> transport) {
        this.localId = localId;
        this.localAddress = localAddress;
        this.epoch = epoch;
        this.transport = transport;
    }

    /** Commands sent to a leader since start. */
    long commandsSent() {
        return commandsSent;
    }

    /** Reads a leader was asked a read index for since start. */
    long readsSent() {
        return readsSent;
    }

    /** Commands queued or sent and not yet answered by the leader. */
    int proposalCount() {
        return proposalCount;
    }

    void propose(Propose p) {
        queuedProposals.add(p);
        proposalCount++;
    }

    void read(Read r) {
        (r.lease() ? queuedLeaseReads : queuedIndexReads).add(r);
    }

    /** Hands what is queued, not sent yet, back to the caller (this server became the leader). */
    void takeQueued(Consumer<Propose> proposals, Consumer<Read> reads) {
        if (queuedProposals.isEmpty() && queuedLeaseReads.isEmpty() && queuedIndexReads.isEmpty()) {
            return;
        }
        List<Propose> p = List.copyOf(queuedProposals);
        List<Read> r = new ArrayList<>(queuedLeaseReads);
        r.addAll(queuedIndexReads);
        proposalCount -= queuedProposals.size();
        queuedProposals.clear();
        queuedLeaseReads.clear();
        queuedIndexReads.clear();
        p.forEach(proposals);
        r.forEach(reads);
    }

    /**
     * Sends what queued to {@code leader}, or fails it if no leader is known any more (nothing
     * left this server: surely not applied).
     */
    void flush(Server leader, long term, String logIncarnation, long nowNanos) {
        if (queuedProposals.isEmpty() && queuedLeaseReads.isEmpty() && queuedIndexReads.isEmpty()) {
            return;
        }
        if (leader == null) {
            NotLeaderException noLeader = new NotLeaderException(null);
            queuedProposals.forEach(p -> p.future().completeExceptionally(noLeader));
            proposalCount -= queuedProposals.size();
            queuedProposals.clear();
            failReads(queuedLeaseReads, noLeader);
            failReads(queuedIndexReads, noLeader);
            queuedLeaseReads.clear();
            queuedIndexReads.clear();
            return;
        }
        if (!queuedProposals.isEmpty()) {
            long id = nextId++;
            List<byte[]> commands = new ArrayList<>(queuedProposals.size());
            for (Propose p : queuedProposals) {
                commands.add(p.data());
            }
            ForwardedProposals message = new ForwardedProposals(term, localId, localAddress, leader.id(), epoch, id, false,
                    commands);
            sentProposals.put(id, new SentProposals(List.copyOf(queuedProposals), message, leader.address(), term, nowNanos));
            commandsSent += queuedProposals.size();
            queuedProposals.clear();
            transport.accept(leader.address(), message);
        }
        sendReads(queuedLeaseReads, true, leader, term, logIncarnation, nowNanos);
        sendReads(queuedIndexReads, false, leader, term, logIncarnation, nowNanos);
    }

    private void sendReads(List<Read> queued, boolean lease, Server leader, long term, String logIncarnation,
                           long nowNanos) {
        if (queued.isEmpty()) {
            return;
        }
        long id = nextId++;
        sentReads.put(id, new SentReads(List.copyOf(queued), lease, nowNanos));
        readsSent += queued.size();
        queued.clear();
        transport.accept(leader.address(),
                new ReadIndexRequest(term, localId, localAddress, leader.id(), epoch, id, lease, logIncarnation));
    }

    /**
     * The leader's answer to a batch of commands: each now waits for its index in
     * {@code pending}, or, if this server has already handed that index to its state machine
     * ({@code appliedThrough}; the answer and the entries travel on different connections), is
     * completed from the state machine's latest responses.
     */
    void answered(ForwardedProposalsResponse answer, PendingOperations pending, long appliedThrough, FsmRunner fsm) {
        if (answer.epoch() != epoch) {
            return;
        }
        SentProposals sent = sentProposals.remove(answer.batchId());
        if (sent == null) {
            return;
        }
        proposalCount -= sent.proposals.size();
        if (answer.firstIndex() == 0) {
            ForwardRefusedException refused = new ForwardRefusedException("the leader " + answer.from()
                    + " did not take the command: " + answer.refusal());
            sent.proposals.forEach(p -> p.future().completeExceptionally(refused));
            return;
        }
        for (int k = 0; k < sent.proposals.size(); k++) {
            Propose p = sent.proposals.get(k);
            long index = answer.firstIndex() + k;
            Proposal proposal = new Proposal(p.future(), answer.term(), LogType.COMMAND);
            if (index <= appliedThrough) {
                fsm.completeApplied(index, proposal);
                continue;
            }
            Proposal displaced = pending.addProposal(index, proposal);
            if (displaced != null) {
                // Two leaders placed commands at one index: whichever commits there, the other
                // may still commit elsewhere only in theory, so say unknown rather than guess.
                displaced.future().completeExceptionally(new LeadershipLostException("index " + index
                        + " was given to another command by the leader of term " + answer.term()));
            }
        }
    }

    /** The leader's answer to a read-index request: each read then waits for that index to be applied. */
    void answered(ReadIndexResponse answer, FsmRunner fsm) {
        if (answer.epoch() != epoch) {
            return;
        }
        SentReads sent = sentReads.remove(answer.requestId());
        if (sent == null) {
            return;
        }
        if (answer.index() == 0) {
            failReads(sent.reads, new ForwardRefusedException("the leader " + answer.from()
                    + " could not give a read index: it is no longer the leader"));
            return;
        }
        List<CompletableFuture<Long>> futures = new ArrayList<>(sent.reads.size());
        for (Read r : sent.reads) {
            futures.add(r.future());
        }
        fsm.whenApplied(answer.index(), futures);
    }

    /**
     * Forgets batches whose commands have all completed (timed out) without an answer, and fails
     * reads the leader has not answered within {@code readTimeoutNanos}.
     */
    void expire(long nowNanos, long readTimeoutNanos) {
        for (Iterator<SentProposals> it = sentProposals.values().iterator(); it.hasNext(); ) {
            SentProposals sent = it.next();
            if (sent.proposals.stream().allMatch(p -> p.future().isDone())) {
                proposalCount -= sent.proposals.size();
                it.remove();
            }
        }
        for (Iterator<SentReads> it = sentReads.values().iterator(); it.hasNext(); ) {
            SentReads sent = it.next();
            if (nowNanos - sent.firstSentNanos < readTimeoutNanos) {
                break;
            }
            it.remove();
            failReads(sent.reads, RaftTimeoutException.ofRead("the leader did not answer a read-index request within "
                    + readTimeoutNanos / 1_000_000 + " ms"));
        }
    }

    /**
     * Sends again what has waited {@code intervalNanos} for an answer: the transport drops a
     * message to a peer it cannot reach for now, and never sends it again itself. A batch of
     * commands goes again only to the leader it first went to, in the same term, which remembers
     * its answer ({@code resent} set, so that no other server can take it for new); a read-index
     * request, which changes nothing, to whoever leads now.
     */
    void resend(Server leader, long term, String logIncarnation, long nowNanos, long intervalNanos) {
        if (leader == null) {
            return;
        }
        for (SentProposals sent : sentProposals.values()) {
            if (nowNanos - sent.lastSentNanos >= intervalNanos && sent.term == term
                    && sent.message.to().equals(leader.id()) && sent.leaderAddress.equals(leader.address())) {
                sent.lastSentNanos = nowNanos;
                ForwardedProposals m = sent.message;
                transport.accept(leader.address(), new ForwardedProposals(m.term(), m.from(), m.fromAddress(), m.to(), m.epoch(),
                        m.batchId(), true, m.commands()));
            }
        }
        for (Map.Entry<Long, SentReads> e : sentReads.entrySet()) {
            SentReads sent = e.getValue();
            if (nowNanos - sent.lastSentNanos >= intervalNanos) {
                sent.lastSentNanos = nowNanos;
                transport.accept(leader.address(), new ReadIndexRequest(term, localId, localAddress, leader.id(), epoch, e.getKey(),
                        sent.lease, logIncarnation));
            }
        }
    }

    /** Fails everything (the node stops). */
    void failAll(RaftException proposalError, RaftException readError) {
        queuedProposals.forEach(p -> p.future().completeExceptionally(proposalError));
        queuedProposals.clear();
        sentProposals.values().forEach(s -> s.proposals.forEach(p -> p.future().completeExceptionally(proposalError)));
        sentProposals.clear();
        proposalCount = 0;
        failReads(queuedLeaseReads, readError);
        failReads(queuedIndexReads, readError);
        queuedLeaseReads.clear();
        queuedIndexReads.clear();
        sentReads.values().forEach(s -> failReads(s.reads, readError));
        sentReads.clear();
    }

    private static void failReads(List<Read> reads, RaftException error) {
        reads.forEach(r -> r.future().completeExceptionally(error));
    }
}

package dev.skiff.raft.core;

import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.RaftMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages the core produced since the last Ready, in the order it produced them, except
 * that the successful answers to appends for one receiver in one term leave as one.
 *
 * <p>Why: a follower under load handles many appends between two Readies (they arrive while it
 * persists the previous batch) and would answer each, but the leader learns nothing from the
 * earlier answers that the last one does not tell it. Within one term every success answers the
 * one leader of that term, and its log matches the leader's up to the answer's
 * {@code lastLogIndex} (log matching, §5.3), so the largest index holds for all of them; the
 * largest {@code readSeq} was received in this term too, so acknowledging it confirms every
 * smaller one. Merging them leaves the leader's view of this follower exactly as the separate
 * answers would, with one message, one decode and one progress update instead of many.
 * Rejections, and everything else, leave unchanged.
 */
final class Outbox {

    private final List<Outbound> messages = new ArrayList<>();

    void add(String address, RaftMessage message) {
        if (message instanceof AppendEntriesResponse answer && answer.success()) {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if (messages.get(i).message() instanceof AppendEntriesResponse earlier && earlier.success()
                        && earlier.term() == answer.term() && earlier.to().equals(answer.to())
                        && messages.get(i).address().equals(address)) {
                    messages.remove(i);
                    message = merged(earlier, answer);
                    break;
                }
            }
        }
        messages.add(new Outbound(address, message));
    }

    private static AppendEntriesResponse merged(AppendEntriesResponse earlier, AppendEntriesResponse later) {
        return new AppendEntriesResponse(later.term(), later.from(), later.fromAddress(), later.to(), true,
                Math.max(earlier.lastLogIndex(), later.lastLogIndex()), 0, 0, Math.max(earlier.readSeq(), later.readSeq()),
                later.incarnation());
    }

    boolean isEmpty() {
        return messages.isEmpty();
    }

    /** The messages, in order, and an empty outbox. */
    List<Outbound> drain() {
        List<Outbound> out = List.copyOf(messages);
        messages.clear();
        return out;
    }
}

package dev.skiff.cli;

import java.time.Duration;

/**
 * Health and membership housekeeping settings (after Consul's autopilot): when {@code /readyz}
 * says ready, and when the leader removes dead members.
 *
 * @param removeDeadAfter how long a member must have stopped answering the leader to be
 *                        removed; zero turns the cleanup off ({@code --remove-dead-after})
 * @param minVoters       the cleanup never removes a voter when this many or fewer are
 *                        configured ({@code --min-voters})
 * @param readyMaxLag     {@code /readyz} is 503 while the applied index trails the leader's
 *                        commit index by more entries than this ({@code --ready-max-lag})
 */
record AutopilotSettings(Duration removeDeadAfter, int minVoters, long readyMaxLag) {

    /** API.md §6: cleanup off, 3 voters at least, ready within 1000 entries. */
    static final AutopilotSettings DEFAULTS = new AutopilotSettings(Duration.ZERO, 3, 1000);

    /** Whether dead members are removed at all. */
    boolean removesDeadMembers() {
        return !removeDeadAfter.isZero();
    }
}

package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RaftConfig#validate()} names the bad field and its allowed range. */
class RaftConfigTest {

    /** The defaults with one field replaced (by record component name). */
    private static RaftConfig with(String field, Object value) {
        RaftConfig base = RaftConfig.defaults("a");
        RecordComponent[] components = RaftConfig.class.getRecordComponents();
        Object[] values = new Object[components.length];
        boolean found = false;
        try {
            for (int i = 0; i < components.length; i++) {
                values[i] = components[i].getName().equals(field) ? value : components[i].getAccessor().invoke(base);
                found |= components[i].getName().equals(field);
            }
            Constructor<RaftConfig> canonical = RaftConfig.class.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            assertThat(found).as("RaftConfig has a field " + field).isTrue();
            return canonical.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("tickInterval", Duration.ZERO, "between 1 ms and 1000 ms"),
                Arguments.of("tickInterval", Duration.ofSeconds(2), "between 1 ms and 1000 ms"),
                Arguments.of("heartbeatInterval", Duration.ofMillis(5), "between 10 ms and 250 ms"),
                Arguments.of("heartbeatInterval", Duration.ofMillis(300), "between 10 ms and 250 ms"),
                Arguments.of("electionTimeout", Duration.ofMinutes(2), "between 50 ms and 60000 ms"),
                Arguments.of("leaderLeaseTimeout", Duration.ofMillis(5), "between 10 ms and 490 ms"),
                Arguments.of("leaderLeaseTimeout", Duration.ofMillis(500), "between 10 ms and 490 ms"),
                Arguments.of("maxAppendEntries", 0, "between 1 and 65536"),
                Arguments.of("maxAppendEntries", 65_537, "between 1 and 65536"),
                Arguments.of("maxAppendBytes", 1023, "between 1024 and 67108864"),
                Arguments.of("maxInflightAppends", 0, "between 1 and 1024"),
                Arguments.of("maxInflightAppends", 1025, "between 1 and 1024"),
                Arguments.of("maxPendingApplies", 0, "between 1 and 1048576"),
                Arguments.of("maxApplyBatch", 0, "between 1 and 65536"),
                Arguments.of("snapshotInterval", Duration.ofMillis(9), "between 10 ms and 86400000 ms"),
                Arguments.of("snapshotThreshold", 0L, "between 1 and"),
                Arguments.of("proportionalSnapshotBytes", -1L, "between 0 and"),
                Arguments.of("trailingLogs", -1L, "between 0 and"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badValues")
    void validateNamesTheFieldAndItsRange(String field, Object value, String range) {
        RaftConfig bad = with(field, value);
        assertThatThrownBy(bad::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(field + " must be ")
                .hasMessageContaining(range)
                .hasMessageContaining("got ");
    }

    @Test
    void electionTimeoutBelowFiveTicksNamesElectionTimeout() {
        // The heartbeat range depends on the election timeout; lower both, so that the election
        // timeout is the first bad field.
        RaftConfig bad = RaftConfig.defaults("a")
                .withTimeouts(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(10));
        assertThatThrownBy(bad::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("electionTimeout must be between 50 ms and 60000 ms, got 20 ms");
    }

    @Test
    void blankLocalIdIsRefused() {
        assertThatThrownBy(() -> RaftConfig.defaults(" ").validate())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("localId ");
    }

    @Test
    void nullFieldsAreRefusedByName() {
        assertThatThrownBy(() -> with("electionTimeout", null))
                .hasRootCauseInstanceOf(NullPointerException.class)
                .rootCause().hasMessage("electionTimeout");
    }

    @Test
    void defaultsAreValid() {
        RaftConfig defaults = RaftConfig.defaults("a");
        assertThat(defaults.validate()).isSameAs(defaults);
        assertThat(defaults.electionTicks()).isEqualTo(50);
        assertThat(defaults.heartbeatTicks()).isEqualTo(5);
        assertThat(defaults.leaseTicks()).isLessThan(defaults.electionTicks());
    }

    @Test
    void everyRangedFieldIsCovered() {
        Set<String> covered = badValues().map(a -> (String) a.get()[0]).collect(Collectors.toSet());
        Set<String> ranged = Arrays.stream(RaftConfig.class.getRecordComponents())
                .filter(c -> c.getType() != boolean.class && !c.getName().equals("localId"))
                .map(RecordComponent::getName).collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrderElementsOf(ranged);
    }
}

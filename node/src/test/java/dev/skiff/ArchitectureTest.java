package dev.skiff;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Package rules that review would otherwise have to catch (STYLE.md §6.6): the Raft library
 * stands alone, and its core is deterministic — no threads, locks, wall clock, unseeded
 * randomness or file I/O (the core reads the log only through {@code LogStore}). Main classes
 * only; {@code synchronized} blocks are not visible to ArchUnit and stay a review item.
 *
 * <p>JDK classes are matched by name and not imported: ArchUnit 1.3 cannot parse the class
 * files of JDKs newer than it, and the rules need only the names of what our classes use.
 */
class ArchitectureTest {

    private static final String RAFT = "dev.skiff.raft..";
    private static final String CORE = "dev.skiff.raft.core..";

    /** A call to a {@code now()} factory of a {@code java.time} class (Instant, LocalDateTime, ...). */
    private static final DescribedPredicate<JavaCall<?>> WALL_CLOCK_NOW = DescribedPredicate.describe(
            "a java.time now() call",
            call -> call.getName().equals("now") && call.getTargetOwner().getPackageName().equals("java.time"));

    private static final ArchRule RAFT_DEPENDS_ON_NOTHING_ELSE_IN_SKIFF = noClasses()
            .that().resideInAPackage(RAFT)
            .should().dependOnClassesThat(resideInAPackage("dev.skiff..").and(resideOutsideOfPackage(RAFT)))
            .because("the Raft library is reusable on its own; kv, wal, transport, api and cli build on it, "
                    + "never the other way round");

    private static final ArchRule MESSAGES_DO_NOT_DEPEND_ON_THE_CORE = noClasses()
            .that().resideInAPackage("dev.skiff.raft.message..")
            .should().dependOnClassesThat().resideInAPackage(CORE)
            .because("the wire messages are part of the public API, the core is an implementation");

    private static final ArchRule CORE_USES_NO_THREADS_OR_LOCKS = noClasses()
            .that().resideInAPackage(CORE)
            .should().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
            .orShould().dependOnClassesThat().resideInAPackage("java.util.concurrent..")
            .because("the core is driven by one thread it does not know about (Thread.sleep, locks, "
                    + "executors and ThreadLocalRandom all belong to the driver)");

    private static final ArchRule CORE_READS_NO_WALL_CLOCK = noClasses()
            .that().resideInAPackage(CORE)
            .should().callMethod("java.lang.System", "currentTimeMillis")
            .orShould().callMethod("java.lang.System", "nanoTime")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Clock")
            .orShould().callMethodWhere(WALL_CLOCK_NOW)
            .because("time in the core is a count of tick() calls, so a seeded run replays exactly");

    private static final ArchRule CORE_USES_ONLY_SEEDED_RANDOMNESS = noClasses()
            .that().resideInAPackage(CORE)
            .should().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.SecureRandom")
            .orShould().callMethod("java.lang.Math", "random")
            .orShould().callMethod("java.lang.StrictMath", "random")
            .because("the only randomness is the seeded RandomGenerator the core is given");

    private static final ArchRule CORE_DOES_NO_FILE_IO = noClasses()
            .that().resideInAPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage("java.nio.file..", "java.nio.channels..")
            .orShould().dependOnClassesThat().haveNameMatching("java\\.io\\.(File|FileInputStream|FileOutputStream|"
                    + "FileReader|FileWriter|RandomAccessFile)")
            .because("the core reads the log only through LogStore; all writes go through Ready and the driver");

    private static final ArchRule CORE_DOES_NOT_KNOW_ITS_DRIVER = noClasses()
            .that().resideInAPackage(CORE)
            .should().dependOnClassesThat().areAssignableTo("dev.skiff.raft.RaftNode")
            .because("RaftNode drives the core; the simulation drives it the same way without RaftNode");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        ArchConfiguration archunit = ArchConfiguration.get();
        archunit.setResolveMissingDependenciesFromClassPath(false);
        try {
            classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPackages("dev.skiff");
        } finally {
            archunit.reset();
        }
    }

    @Test
    void raftDependsOnNothingElseInSkiff() {
        RAFT_DEPENDS_ON_NOTHING_ELSE_IN_SKIFF.check(classes);
    }

    @Test
    void messagesDoNotDependOnTheCore() {
        MESSAGES_DO_NOT_DEPEND_ON_THE_CORE.check(classes);
    }

    @Test
    void coreUsesNoThreadsOrLocks() {
        CORE_USES_NO_THREADS_OR_LOCKS.check(classes);
    }

    @Test
    void coreReadsNoWallClock() {
        CORE_READS_NO_WALL_CLOCK.check(classes);
    }

    @Test
    void coreUsesOnlySeededRandomness() {
        CORE_USES_ONLY_SEEDED_RANDOMNESS.check(classes);
    }

    @Test
    void coreDoesNoFileIo() {
        CORE_DOES_NO_FILE_IO.check(classes);
    }

    @Test
    void coreDoesNotKnowItsDriver() {
        CORE_DOES_NOT_KNOW_ITS_DRIVER.check(classes);
    }
}

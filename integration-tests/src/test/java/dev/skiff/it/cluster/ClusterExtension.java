package dev.skiff.it.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Owns the {@link ProcessCluster}s of a test class: creates each under a fresh temporary
 * directory, prints every node's log tail when a test fails, and kills every process
 * afterwards whatever happened. Register it as an instance field for clusters per test
 * ({@link #perTest()}) or as a static field for one cluster shared by the class
 * ({@link #perClass()}):
 *
 * <pre>{@code
 * @RegisterExtension final ClusterExtension clusters = ClusterExtension.perTest();
 * ...
 * ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
 * }</pre>
 *
 * <p>Data directories are deleted after a passing test and kept (the path is printed) after a
 * failing one.
 */
public final class ClusterExtension implements AfterTestExecutionCallback, AfterEachCallback, AfterAllCallback {

    private static final int LOG_LINES = 60;

    private final boolean perTest;
    private final List<Owned> owned = new CopyOnWriteArrayList<>();
    private volatile boolean failed;

    private record Owned(ProcessCluster cluster, Path dir) {
    }

    private ClusterExtension(boolean perTest) {
        this.perTest = perTest;
    }

    /** Clusters are closed after each test. */
    public static ClusterExtension perTest() {
        return new ClusterExtension(true);
    }

    /** Clusters are closed after the last test of the class. */
    public static ClusterExtension perClass() {
        return new ClusterExtension(false);
    }

    /** Creates a cluster (no node yet) that this extension will clean up. */
    public ProcessCluster create(ClusterOptions options) {
        try {
            Path dir = Files.createTempDirectory("skiff-it-");
            ProcessCluster cluster = new ProcessCluster(dir, options);
            owned.add(new Owned(cluster, dir));
            return cluster;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary directory", e);
        }
    }

    /** {@link #create} then {@link ProcessCluster#start(int) start(size)}; prints the logs if the start fails. */
    public ProcessCluster start(int size, ClusterOptions options) {
        ProcessCluster cluster = create(options);
        try {
            return cluster.start(size);
        } catch (RuntimeException | Error e) {
            failed = true;
            System.out.println("cluster start failed: " + e.getMessage() + "\n" + cluster.logTails(LOG_LINES));
            throw e;
        }
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            failed = true;
            for (Owned o : owned) {
                System.out.println("test " + context.getDisplayName() + " failed; node logs under " + o.dir() + ":\n"
                        + o.cluster().logTails(LOG_LINES));
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            closeAll();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeAll();
    }

    private void closeAll() {
        for (Owned o : owned) {
            try {
                o.cluster().close();
            } finally {
                owned.remove(o);
                if (!failed) {
                    deleteTree(o.dir());
                }
            }
        }
        failed = false;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.out.println("could not delete " + dir + ": " + e);
        }
    }
}

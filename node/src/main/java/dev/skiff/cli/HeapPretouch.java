package dev.skiff.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Touches the heap the JVM committed at start once, before the node opens its ports, so that
 * young collections do not fault in fresh pages inside their pauses.
 *
 * <p>Why: a page of the heap costs a fault and zeroing when it is first written, and G1 copies
 * what survives a young collection (with the launcher's defaults: everything that survives,
 * mostly new keys) into free regions, so in a node's first minutes the collector itself does most
 * of those first writes, inside its pauses. On the VMs measured, a first touch costs about 2 ms
 * per MiB on one thread even on huge pages, and writes through all three nodes had a p99 of
 * 37–66 ms without this and 25–35 ms with it (bench/README.md, "the initial heap, touched before
 * start"). {@code -XX:+AlwaysPreTouch} touches the initial heap too, but also every later
 * expansion of the heap inside the pause that grows it (pauses of 100–270 ms), which this does
 * not.
 *
 * <p>How: arrays larger than half a G1 region are humongous objects, placed in free regions
 * directly instead of in eden, so allocating them (the JVM zeroes each array) touches regions
 * anywhere in the committed heap; then a full collection, of a heap that holds little else yet,
 * frees them. The launcher asks for this (system property {@value #PROPERTY}) only where it
 * chooses the initial heap itself (G1, 512 MiB): an operator who sizes the heap also chooses
 * whether to touch it ({@code -XX:+AlwaysPreTouch}).
 */
final class HeapPretouch {

    /** The system property that turns this on, {@code true} or absent. */
    static final String PROPERTY = "skiff.pretouchHeap";

    /**
     * Larger than half of any region size G1 picks by itself (up to 32 MiB), so every chunk is
     * humongous. The array header makes the last region partly used; no matter.
     */
    private static final int CHUNK_BYTES = 32 << 20;

    /**
     * Left free so that the arrays always fit in the committed heap: a humongous allocation that
     * does not fit makes G1 collect and grow the heap.
     */
    private static final long MIN_HEADROOM_BYTES = 64L << 20;

    /** What was touched and how long it took. */
    record Touched(long bytes, long millis) {
    }

    private HeapPretouch() {
    }

    /**
     * Touches the free part of the committed heap, less some headroom, on {@code threads}
     * threads at once, and returns when all of it is touched.
     */
    static Touched touchFreeHeap(int threads) throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        long started = System.nanoTime();
        long headroom = Math.max(MIN_HEADROOM_BYTES, runtime.totalMemory() / 8);
        AtomicLong left = new AtomicLong(runtime.freeMemory() - headroom);
        AtomicLong touched = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().name("heap-pretouch-" + i).start(() -> {
                // Held until this thread is done: a collection meanwhile (one may start when the
                // old generation looks full) would reclaim a dropped chunk and hand out its
                // regions again, touching the same memory twice.
                List<byte[]> held = new ArrayList<>();
                while (left.addAndGet(-CHUNK_BYTES) >= 0) {
                    held.add(new byte[CHUNK_BYTES]);
                    touched.addAndGet(CHUNK_BYTES);
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        // The chunks, live during a marking cycle the allocations started, may have made G1 grow
        // the heap at the cycle's end (less than 40 % of it free) by regions nobody touched. A
        // full collection with the chunks gone shrinks it back to its initial size, dropping the
        // top regions, the new ones, and it frees the chunks at once.
        if (touched.get() > 0) {
            System.gc();
        }
        return new Touched(touched.get(), (System.nanoTime() - started) / 1_000_000);
    }
}

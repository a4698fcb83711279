package dev.skiff.api;

import io.undertow.server.HttpServerExchange;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xnio.XnioIoThread;

/**
 * Runs answers on the I/O thread of their exchange, waking each thread once per burst instead of
 * once per task: the FSM thread completes a whole batch of writes (and the Raft loop a whole
 * batch of reads) at a time, and each wake-up is a system call. Answering on the exchange's own
 * I/O thread also avoids the race {@link NonBlockingPut} describes.
 */
final class IoThreadQueues {

    private final Map<XnioIoThread, Queue> queues = new ConcurrentHashMap<>();

    /** Runs {@code task} on {@code exchange}'s I/O thread, soon. */
    void execute(HttpServerExchange exchange, Runnable task) {
        queues.computeIfAbsent(exchange.getIoThread(), Queue::new).execute(task);
    }

    private static final class Queue {
        private final XnioIoThread thread;
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        Queue(XnioIoThread thread) {
            this.thread = thread;
        }

        void execute(Runnable task) {
            tasks.add(task);
            if (scheduled.compareAndSet(false, true)) {
                thread.execute(this::drain);
            }
        }

        private void drain() {
            // Cleared first: a task added from here on schedules another drain, which may find
            // the queue already emptied by this one, never a task left behind.
            scheduled.set(false);
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }
}

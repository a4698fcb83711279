package dev.skiff.transport;

import dev.skiff.raft.message.RaftMessage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A raft peer for tests that speaks the stream wire by hand (no cluster secret): it answers each
 * stream's {@code 100 Continue}, then reads frames, and stops reading a connection for good
 * once a batch matches {@code hold}, as a peer whose disk or link stalled would. Batches read
 * are kept in {@link #received}.
 */
final class HoldingStreamPeer implements AutoCloseable {

    final List<RaftMessage> received = new CopyOnWriteArrayList<>();
    /** Connections that stopped being read. */
    final List<Socket> held = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final Predicate<List<RaftMessage>> hold;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();

    HoldingStreamPeer(Predicate<List<RaftMessage>> hold) throws IOException {
        this.hold = hold;
        this.server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    /** Connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    /** Connections the sender has not closed yet. */
    int open() {
        return open.get();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        try {
            while (true) {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.incrementAndGet();
                sockets.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            }
        } catch (IOException closed) {
            // The peer was closed.
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (!RaftWireClient.line(in).isEmpty()) {
                // request head
            }
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            DataInputStream data = new DataInputStream(in);
            while (true) {
                int size = Integer.parseInt(RaftWireClient.line(in), 16);
                if (size == 0) {
                    return;
                }
                byte[] chunk = data.readNBytes(size);
                RaftWireClient.line(in);
                ByteBuffer frame = ByteBuffer.wrap(chunk);
                byte[] batch = new byte[frame.getInt()];
                frame.get(batch);
                List<RaftMessage> messages = MessageCodec.decodeBatch(batch);
                received.addAll(messages);
                if (hold.test(messages)) {
                    held.add(s);
                    closed.await();
                    return;
                }
            }
        } catch (IOException | InterruptedException | RuntimeException ended) {
            // The sender went away or the peer was closed.
        } finally {
            open.decrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}

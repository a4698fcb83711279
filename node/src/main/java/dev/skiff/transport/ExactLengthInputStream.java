package dev.skiff.transport;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that must hold exactly {@code length} bytes. An underlying stream that ends early
 * raises {@link EOFException} naming how much came; one that goes on past {@code length}
 * raises {@link IOException} on the read that would have returned end of stream. A receiver
 * that reads to the end therefore never mistakes a cut-off or overlong snapshot for a whole
 * one. {@link #close()} leaves the underlying stream open (the HTTP exchange owns it). Not
 * thread-safe.
 */
final class ExactLengthInputStream extends InputStream {

    private final InputStream in;
    private final long length;
    private long remaining;
    private boolean endVerified;

    ExactLengthInputStream(InputStream in, long length) {
        this.in = in;
        this.length = length;
        this.remaining = length;
    }

    @Override
    public int read() throws IOException {
        if (remaining == 0) {
            return end();
        }
        int b = in.read();
        if (b < 0) {
            throw truncated();
        }
        remaining--;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining == 0) {
            return end();
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw truncated();
        }
        remaining -= n;
        return n;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(in.available(), remaining);
    }

    @Override
    public void close() {
        // The exchange owns the underlying stream.
    }

    private int end() throws IOException {
        if (!endVerified) {
            if (in.read() >= 0) {
                throw new IOException("snapshot stream is longer than the " + length + " bytes its header says");
            }
            endVerified = true;
        }
        return -1;
    }

    private EOFException truncated() {
        return new EOFException("snapshot stream ended after " + (length - remaining) + " of " + length + " bytes");
    }
}

package dev.skiff.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * A {@link ChannelFactory} for tests whose channels behave like a disk with a fixed amount of
 * free space: once {@link #freeBytes} is used up, writes store what still fits and then fail
 * with "No space left on device", as write(2) does with ENOSPC. Shrinking a file gives its
 * space back; {@link #setFreeBytes} frees space again. An optional hook sees each write's size
 * before it happens (the crash test uses it to aim a kill into a write).
 */
final class DiskFullChannels implements ChannelFactory {

    private final AtomicLong free;
    private final IntConsumer beforeWrite;

    DiskFullChannels(long freeBytes) {
        this(freeBytes, bytes -> { });
    }

    DiskFullChannels(long freeBytes, IntConsumer beforeWrite) {
        this.free = new AtomicLong(freeBytes);
        this.beforeWrite = beforeWrite;
    }

    long freeBytes() {
        return free.get();
    }

    void setFreeBytes(long bytes) {
        free.set(bytes);
    }

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        return new Limited(FileChannel.open(path, options));
    }

    private final class Limited extends FileChannel {
        private final FileChannel inner;

        Limited(FileChannel inner) {
            this.inner = inner;
        }

        /** Lets {@code wanted} bytes past the current end through, as far as space allows. */
        private int allowance(long position, int wanted) throws IOException {
            long growth = Math.max(0, position + wanted - inner.size());
            long overwrite = wanted - growth;
            long granted = Math.min(growth, Math.max(0, free.get()));
            if (granted == 0 && growth > 0) {
                throw new IOException("No space left on device");
            }
            free.addAndGet(-granted);
            return (int) (overwrite + granted);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            beforeWrite.accept(src.remaining());
            int allowed = allowance(position, src.remaining());
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + allowed);
            int n = inner.write(part, position);
            src.position(src.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return write(src, inner.position());
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += write(srcs[i]);
            }
            return n;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            long before = inner.size();
            inner.truncate(size);
            free.addAndGet(Math.max(0, before - inner.size()));
            return this;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return inner.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return inner.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return inner.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return inner.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            inner.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public void force(boolean metaData) throws IOException {
            inner.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return inner.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new UnsupportedOperationException("not used by the log");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new UnsupportedOperationException("not used by the log");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return inner.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return inner.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            inner.close();
        }
    }
}

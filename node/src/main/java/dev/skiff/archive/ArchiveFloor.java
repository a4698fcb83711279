package dev.skiff.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;

/**
 * Where the manifest chain starts once retention ({@code --log-archive-retention}) has removed
 * its oldest links: the object {@code archive/floor.json}. It is written before any link is
 * deleted, so a reader never sees a chain with neither its old start nor a floor; the first
 * link kept must chain onto {@code prevHash}, so removing more links than the floor says is
 * still detected as a hole.
 *
 * @param firstSeq   the seq of the first link kept
 * @param prevHash   the hash of the link before it (the first kept link's {@code prev})
 * @param firstIndex the first log index the kept links hold: earlier points cannot be restored
 * @param writtenAt  when retention wrote it (epoch ms)
 */
public record ArchiveFloor(long firstSeq, String prevHash, long firstIndex, long writtenAt) {

    /** The floor's key under the archive's root. */
    public static final String KEY = "archive/floor.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The floor, if retention has written one. */
    public static Optional<ArchiveFloor> read(ArchiveObjects objects) throws IOException {
        Optional<byte[]> bytes = objects.get(KEY);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        try {
            ArchiveFloor floor = JSON.readValue(bytes.get(), ArchiveFloor.class);
            if (floor.firstSeq < 1 || floor.prevHash == null || floor.firstIndex < 1) {
                throw new CorruptArchiveException("archive floor " + objects.describe(KEY) + " is not valid");
            }
            return Optional.of(floor);
        } catch (IOException e) {
            throw new CorruptArchiveException("archive floor " + objects.describe(KEY) + " is not valid JSON: " + e.getMessage());
        }
    }

    /** Writes it (replacing the previous floor). */
    public void write(ArchiveObjects objects) throws IOException {
        objects.put(KEY, JSON.writeValueAsBytes(this));
    }
}

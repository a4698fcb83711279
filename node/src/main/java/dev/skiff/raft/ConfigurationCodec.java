package dev.skiff.raft;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link Configuration}, used in {@link LogType#CONFIGURATION} entries and
 * in snapshot metadata.
 *
 * <p>Format (big-endian): {@code u8 version=1}, {@code u16 count}, then per server
 * {@code u8 suffrage (1 voter, 2 nonvoter)}, and the id, address and api address each as
 * {@code u16 length + UTF-8 bytes}. Stateless and thread-safe.
 */
public final class ConfigurationCodec {

    private static final int VERSION = 1;

    private ConfigurationCodec() {
    }

    /** Encodes a configuration. */
    public static byte[] encode(Configuration configuration) {
        var bytes = new ByteArrayOutputStream(64);
        try (var out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeShort(configuration.servers().size());
            for (Server s : configuration.servers()) {
                out.writeByte(s.isVoter() ? 1 : 2);
                out.writeUTF(s.id());
                out.writeUTF(s.address());
                out.writeUTF(s.apiAddress());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a configuration.
     *
     * @throws IllegalArgumentException if the bytes are not a configuration of a known version
     */
    public static Configuration decode(byte[] data) {
        try (var in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown configuration format version " + version);
            }
            int count = in.readUnsignedShort();
            List<Server> servers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int suffrage = in.readUnsignedByte();
                if (suffrage != 1 && suffrage != 2) {
                    throw new IllegalArgumentException("bad suffrage code " + suffrage);
                }
                servers.add(new Server(in.readUTF(), in.readUTF(),
                        suffrage == 1 ? Suffrage.VOTER : Suffrage.NONVOTER, in.readUTF()));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("trailing bytes after configuration");
            }
            return new Configuration(servers);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated configuration: " + e.getMessage(), e);
        }
    }
}

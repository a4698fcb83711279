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
 * <p>Format (big-endian): {@code u8 version=2}, {@code u16 count}, then per server
 * {@code u8 suffrage (1 voter, 2 nonvoter, 3 staging)}, and the id, address, api address and
 * incarnation each as {@code u16 length + UTF-8 bytes}. Version 1 (written before servers had
 * incarnations) has no incarnation and is still read, with the incarnation unknown.
 * Stateless and thread-safe.
 */
public final class ConfigurationCodec {

    private static final int VERSION = 2;
    private static final int VERSION_WITHOUT_INCARNATION = 1;

    private ConfigurationCodec() {
    }

    /** Encodes a configuration. */
    public static byte[] encode(Configuration configuration) {
        var bytes = new ByteArrayOutputStream(64);
        try (var out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeShort(configuration.servers().size());
            for (Server s : configuration.servers()) {
                out.writeByte(switch (s.suffrage()) {
                    case VOTER -> 1;
                    case NONVOTER -> 2;
                    case STAGING -> 3;
                });
                out.writeUTF(s.id());
                out.writeUTF(s.address());
                out.writeUTF(s.apiAddress());
                out.writeUTF(s.incarnation());
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
            if (version != VERSION && version != VERSION_WITHOUT_INCARNATION) {
                throw new IllegalArgumentException("unknown configuration format version " + version);
            }
            int count = in.readUnsignedShort();
            List<Server> servers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int code = in.readUnsignedByte();
                Suffrage suffrage = switch (code) {
                    case 1 -> Suffrage.VOTER;
                    case 2 -> Suffrage.NONVOTER;
                    case 3 -> Suffrage.STAGING;
                    default -> throw new IllegalArgumentException("bad suffrage code " + code);
                };
                String id = in.readUTF();
                String address = in.readUTF();
                String apiAddress = in.readUTF();
                String incarnation = version == VERSION ? in.readUTF() : "";
                servers.add(new Server(id, address, suffrage, apiAddress, incarnation));
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

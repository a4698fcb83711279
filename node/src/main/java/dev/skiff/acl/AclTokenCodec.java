package dev.skiff.acl;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of tokens, shared by {@link AclCommandCodec} (log entries) and
 * {@link AclStateCodec} (snapshots). Big-endian:
 * <pre>
 *   u8   accessorIdLength, that many ASCII bytes
 *   32   SHA-256 of the secret
 *   u16  descriptionLength, that many bytes of UTF-8
 *   u8   operator        0 none, 1 read, 2 write
 *   u16  ruleCount       at most {@link AclRules#MAX_RULES}
 *        per rule: u16 prefixLength, that many bytes of UTF-8; u8 access 0 deny, 1 read, 2 write
 *   u64  createIndex
 * </pre>
 * Stateless and thread-safe.
 */
final class AclTokenCodec {

    private AclTokenCodec() {
    }

    static void write(AclToken t, DataOutputStream out) throws IOException {
        byte[] id = t.accessorId().getBytes(StandardCharsets.US_ASCII);
        out.writeByte(id.length);
        out.write(id);
        out.write(t.secretHash());
        byte[] description = t.description().getBytes(StandardCharsets.UTF_8);
        out.writeShort(description.length);
        out.write(description);
        out.writeByte(t.rules().operator().ordinal());
        out.writeShort(t.rules().rules().size());
        for (KeyRule rule : t.rules().rules()) {
            byte[] prefix = rule.prefix().getBytes(StandardCharsets.UTF_8);
            out.writeShort(prefix.length);
            out.write(prefix);
            out.writeByte(rule.access().ordinal());
        }
        out.writeLong(t.createIndex());
    }

    /** @throws IllegalArgumentException naming what is wrong and its offset in {@code in}'s array */
    static AclToken read(ByteBuffer in) {
        int at = in.position();
        try {
            String id = new String(bytes(in, Byte.toUnsignedInt(in.get())), StandardCharsets.US_ASCII);
            byte[] hash = bytes(in, TokenSecrets.HASH_BYTES);
            String description = utf8(bytes(in, Short.toUnsignedInt(in.getShort())));
            int operator = Byte.toUnsignedInt(in.get());
            if (operator >= OperatorAccess.values().length) {
                throw new IllegalArgumentException("unknown operator access " + operator);
            }
            int ruleCount = Short.toUnsignedInt(in.getShort());
            if (ruleCount > AclRules.MAX_RULES) {
                throw new IllegalArgumentException(ruleCount + " rules, over the limit of " + AclRules.MAX_RULES);
            }
            List<KeyRule> rules = new ArrayList<>(ruleCount);
            for (int i = 0; i < ruleCount; i++) {
                String prefix = utf8(bytes(in, Short.toUnsignedInt(in.getShort())));
                int access = Byte.toUnsignedInt(in.get());
                if (access >= KeyAccess.values().length) {
                    throw new IllegalArgumentException("rule " + i + " has unknown access " + access);
                }
                rules.add(new KeyRule(prefix, KeyAccess.values()[access]));
            }
            long createIndex = in.getLong();
            return new AclToken(id, hash, description, new AclRules(rules, OperatorAccess.values()[operator]), createIndex);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("token at byte offset " + at + " is truncated");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("token at byte offset " + at + ": " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ByteBuffer in, int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String utf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text that is not UTF-8");
        }
    }

    /** Runs {@code body} against a fresh stream and returns its bytes. */
    static byte[] encode(IoWriter body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    /** Writes to a data stream. */
    @FunctionalInterface
    interface IoWriter {
        void write(DataOutputStream out) throws IOException;
    }
}

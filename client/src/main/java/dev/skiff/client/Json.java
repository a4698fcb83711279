package dev.skiff.client;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Jackson mapper, in a class of its own so that it is built on first use: a plain
 * {@code kv get} reads no JSON, and the command line starts a JVM per command.
 */
final class Json {

    /** The one Jackson mapper (thread-safe once configured), created when this class is first used. */
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }
}

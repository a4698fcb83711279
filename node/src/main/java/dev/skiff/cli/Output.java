package dev.skiff.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code -o json|table}: how a client command prints what it got. */
final class Output {

    /** The formats. */
    enum Format { json, table }

    /** Built on first use: a plain {@code kv get} prints no JSON and should not pay for Jackson. */
    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper();
    }

    @Option(names = {"-o", "--output"}, defaultValue = "json", paramLabel = "FORMAT",
            description = "json (default, for scripts) or table (for people).")
    Format format;

    boolean table() {
        return format == Format.table;
    }

    /** Prints {@code value} as one line of JSON. */
    static void json(Object value) {
        try {
            System.out.println(Mapper.JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode output", e);
        }
    }

    /** Prints {@code value} as indented JSON (for the status, which people read too). */
    static void prettyJson(Object value) {
        try {
            System.out.println(Mapper.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode output", e);
        }
    }

    /** Prints rows as aligned columns; the first row is the header. */
    static void table(List<List<String>> rows) {
        if (rows.isEmpty()) {
            return;
        }
        List<Integer> widths = new ArrayList<>();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                if (widths.size() <= i) {
                    widths.add(0);
                }
                widths.set(i, Math.max(widths.get(i), row.get(i).length()));
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths.get(i) + 2));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        System.out.print(out);
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    /**
     * The value as text if it is UTF-8 without control characters (tabs and newlines allowed),
     * else null: binary values are never written to a terminal as text.
     */
    static String printable(byte[] value) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) && c != '\n' && c != '\t' && c != '\r') {
                return null;
            }
        }
        return text;
    }

    /** A short preview of a value for a table cell. */
    static String preview(byte[] value) {
        String text = printable(value);
        if (text == null) {
            return "<binary, " + value.length + " bytes>";
        }
        String oneLine = text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return oneLine.length() > 60 ? oneLine.substring(0, 57) + "..." : oneLine;
    }
}

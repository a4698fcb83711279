package dev.skiff.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format text|json} ({@code SKIFF_LOG_FORMAT}): {@code text} keeps the
 * {@code logback.xml} line format; {@code json} switches every console appender of the root
 * logger to logback's own {@link JsonEncoder}, one JSON object per line (timestamp, level,
 * thread, logger, the formatted message, key/value pairs, MDC and the exception), for log
 * shippers that parse JSON (CloudWatch, Loki, Elasticsearch).
 */
final class LogFormat {

    private LogFormat() {
    }

    /**
     * Applies {@code format} to the running logging configuration.
     *
     * @throws IllegalArgumentException naming the flag if the format is neither text nor json
     */
    static void apply(String format) {
        switch (format) {
            case "text" -> { }
            case "json" -> useJson();
            default -> throw new IllegalArgumentException("--log-format must be text or json, got '" + format + "'");
        }
    }

    private static void useJson() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend on the class path configures itself
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
                JsonEncoder encoder = new JsonEncoder();
                encoder.setContext(context);
                // The message as an operator reads it, not its template and arguments apart.
                encoder.setWithFormattedMessage(true);
                encoder.setWithMessage(false);
                encoder.setWithArguments(false);
                encoder.setWithSequenceNumber(false);
                encoder.setWithNanoseconds(false);
                encoder.setWithContext(false);
                encoder.start();
                appender.stop();
                appender.setEncoder(encoder);
                appender.start();
            }
        }
    }
}

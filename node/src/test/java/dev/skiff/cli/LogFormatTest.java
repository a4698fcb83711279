package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogFormatTest {

    @Test
    void when_theFormatIsUnknown_then_itIsRefusedNamingTheFlag() {
        assertThatThrownBy(() -> LogFormat.apply("xml"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--log-format").hasMessageContaining("'xml'");
        assertThat(Main.run(new String[] {"node", "--id", "n1", "--log-format", "yaml"})).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void when_theFormatIsJson_then_eachEventIsOneJsonObjectWithTheFormattedMessage() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) root.iteratorForAppenders().next();
        Encoder<ILoggingEvent> before = console.getEncoder();
        try {
            LogFormat.apply("json");
            assertThat(console.getEncoder()).isInstanceOf(JsonEncoder.class);
            ILoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent("fqcn", context.getLogger("dev.skiff.test"),
                    ch.qos.logback.classic.Level.INFO, "node started id={} api={}", null, new Object[] {"n1", "127.0.0.1:8001"});
            String line = new String(console.getEncoder().encode(event), StandardCharsets.UTF_8);
            assertThat(line).endsWith("\n").doesNotContain("\n{");
            JsonNode json = new ObjectMapper().readTree(line);
            assertThat(json.path("level").asText()).isEqualTo("INFO");
            assertThat(json.path("loggerName").asText()).isEqualTo("dev.skiff.test");
            assertThat(json.path("formattedMessage").asText()).isEqualTo("node started id=n1 api=127.0.0.1:8001");
            assertThat(json.has("message")).as("the template is left out").isFalse();
        } finally {
            console.stop();
            console.setEncoder(before);
            console.start();
        }
    }
}

package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Strict decoding of raw paths and query strings: the plain-ASCII case comes back unchanged,
 * escapes decode as UTF-8, and anything malformed is a 400 naming where it is.
 */
class RequestPartsTest {

    @Test
    void when_aPathHasNothingToDecode_then_itIsReturnedAsItIs() {
        String raw = "app/config-1.json";
        assertThat(RequestParts.decodePath(raw)).isSameAs(raw);
    }

    @Test
    void when_aPathHasEscapes_then_theyDecodeAsUtf8AndAPlusStaysAPlus() {
        assertThat(RequestParts.decodePath("a%20b+c%2Fd")).isEqualTo("a b+c/d");
        assertThat(RequestParts.decodePath("caf%C3%A9")).isEqualTo("café");
    }

    @Test
    void when_aQueryIsParsed_then_plusIsASpaceAndEscapesDecode() {
        RequestParts q = RequestParts.ofQuery("prefix=a+b%2Bc&limit=5&meta");
        assertThat(q.param("prefix")).isEqualTo("a b+c");
        assertThat(q.longParam("limit", 0)).isEqualTo(5);
        assertThat(q.param("meta")).isEmpty();
        assertThat(q.param("after")).isNull();
    }

    @Test
    void when_theEncodingIsBad_then_theRequestIsRefusedWithWhere() {
        assertThatThrownBy(() -> RequestParts.decodePath("a%2")).isInstanceOf(ApiException.class)
                .hasMessageContaining("bad percent-encoding at position 1 of the path");
        assertThatThrownBy(() -> RequestParts.decodePath("a%zz")).isInstanceOf(ApiException.class)
                .hasMessageContaining("bad percent-encoding");
        assertThatThrownBy(() -> RequestParts.decodePath("%C3%28")).isInstanceOf(ApiException.class)
                .hasMessageContaining("not valid UTF-8");
        assertThatThrownBy(() -> RequestParts.ofQuery("cas=1&cas=2")).isInstanceOf(ApiException.class)
                .hasMessageContaining("given more than once");
        assertThatThrownBy(() -> RequestParts.ofQuery("limit=-1").longParam("limit", 0)).isInstanceOf(ApiException.class)
                .hasMessageContaining("non-negative integer");
    }
}

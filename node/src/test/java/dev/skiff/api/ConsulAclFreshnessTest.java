package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.acl.AclState;
import dev.skiff.acl.TokenSecrets;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which Consul-listener requests bring the ACL table up to the leader's commit index before the
 * token is checked: all but stale reads. A follower proposes Consul writes itself, so a write
 * that says {@code ?stale} must not be checked against a table that may still hold a token the
 * leader deleted.
 */
class ConsulAclFreshnessTest {

    @ParameterizedTest
    @CsvSource({
            "GET, stale, 0",
            "HEAD, stale, 0",
            "GET, '', 1",
            "PUT, stale, 1",
            "POST, stale, 1",
            "DELETE, stale, 1",
            "PUT, '', 1",
    })
    void onlyAStaleReadSkipsTheFreshTable(String method, String query, int freshened) {
        String secret = TokenSecrets.newSecret();
        AtomicInteger freshens = new AtomicInteger();
        ConsulAcl acl = new ConsulAcl(new AclGuard(TokenSecrets.hash(secret), AclState::empty, freshens::incrementAndGet));
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.setRequestMethod(new HttpString(method));
        exchange.setQueryString(query);
        exchange.getRequestHeaders().put(new HttpString(ConsulAcl.TOKEN_HEADER), secret);

        acl.authenticate(exchange);

        assertThat(freshens.get()).isEqualTo(freshened);
    }
}

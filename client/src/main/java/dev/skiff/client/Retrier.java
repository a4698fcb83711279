package dev.skiff.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Sends a {@link Call} to the endpoints until one answers, following API.md's promises: a
 * request that never reached a node, or got {@code 503}, was not applied and is sent again
 * (next endpoint; the node's {@code Retry-After} once a round of endpoints has been tried); a
 * {@code 504} or a connection lost after sending is an unknown outcome, sent again only when
 * the call allows it. Stops when the retry budget is spent. Thread-safe (stateless apart from
 * the shared {@link Endpoints}).
 */
final class Retrier {

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final Exchange exchange;
    private final Endpoints endpoints;
    private final Duration budget;
    private final RetryListener listener;

    Retrier(Exchange exchange, Endpoints endpoints, Duration budget, RetryListener listener) {
        this.exchange = exchange;
        this.endpoints = endpoints;
        this.budget = budget;
        this.listener = listener;
    }

    /** What a failed attempt tells the loop. */
    private record Failure(int status, String code, String message, Duration retryAfter, Throwable cause) {
    }

    /**
     * Sends {@code call}; returns the first 2xx response, its body read whole.
     *
     * @throws SkiffException (a subclass) for an error answer, an unknown outcome or an exhausted budget
     */
    Response send(Call call) {
        return send(call, false);
    }

    /**
     * Sends {@code call}; returns the first 2xx response with {@code stream}: its body open in
     * {@link Response#stream()} (the caller closes it), else read whole.
     *
     * @throws SkiffException (a subclass) for an error answer, an unknown outcome or an exhausted budget
     */
    Response send(Call call, boolean stream) {
        long deadline = System.nanoTime() + budget.toNanos();
        int first = endpoints.preferred();
        int n = endpoints.size();
        Duration backoff = FIRST_BACKOFF;
        Duration roundWait = Duration.ZERO;
        Failure last = null;
        for (int attempt = 0; ; attempt++) {
            int index = first + attempt;
            URI endpoint = endpoints.get(index);
            Failure failure;
            try {
                Response r = exchange.send(endpoint, call, stream);
                if (r.status() / 100 == 2) {
                    endpoints.answered(index);
                    r.header("X-Skiff-Leader").ifPresent(endpoints::leaderIs);
                    return r;
                }
                failure = answerFailure(call, endpoint, r);
            } catch (Exchange.NotSentException e) {
                failure = new Failure(0, "", "cannot connect to " + endpoint.getAuthority() + " (" + describe(e.getCause()) + ")",
                        Duration.ZERO, e);
            } catch (Exchange.BodyNotTakenException e) {
                // not applied, but most likely refused (a value over the node's limit): sending it
                // again, here or elsewhere, would only be refused again
                throw new SkiffException(0, "", call.method() + " " + call.path() + ": the node at " + endpoint.getAuthority()
                        + " closed the connection before it had taken the " + call.body().length() + "-byte body, so nothing "
                        + "was applied. Nodes do that when they refuse a body, most often a value over their --max-value-bytes "
                        + "(1 MiB by default); check the size, or the node's log if it is not that (" + describe(e) + ")", e);
            } catch (IOException e) {
                String what = (e instanceof SocketTimeoutException ? "no answer within " + call.timeout().toMillis() + " ms"
                        : "connection failed") + " from " + endpoint.getAuthority() + " (" + describe(e) + ")";
                if (!call.retryUnknown()) {
                    throw new OutcomeUnknownException(0, "", call.method() + " " + call.path() + ": " + what
                            + "; the write may or may not have been applied: read it before trying again", e);
                }
                failure = new Failure(0, "", what, Duration.ZERO, e);
            }
            last = failure;
            if (failure.retryAfter().compareTo(roundWait) > 0) {
                roundWait = failure.retryAfter();
            }
            Duration wait = Duration.ZERO;
            if ((attempt + 1) % n == 0) {
                // a whole round of endpoints failed: wait as long as the nodes asked, else back off
                wait = roundWait.isZero() ? backoff : roundWait;
                backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
                roundWait = Duration.ZERO;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || (wait.toNanos() > left && attempt + 1 >= n)) {
                throw exhausted(call, failure, attempt + 1);
            }
            listener.retrying(call.method(), call.path(), endpoint.getAuthority(), failure.message(), wait);
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SkiffException(0, "", "interrupted while waiting to retry", e);
                }
            }
        }
    }

    /** A non-2xx answer: an exception to throw now, or the failure to retry. */
    private Failure answerFailure(Call call, URI endpoint, Response r) {
        int status = r.status();
        byte[] body = r.body();
        String code = "";
        String message = "";
        long currentIndex = 0;
        try {
            JsonNode json = Json.MAPPER.readTree(body);
            if (json != null && json.isObject()) {
                code = json.path("code").asText("");
                message = json.path("error").asText("");
                currentIndex = json.path("modifyIndex").asLong(0);
            }
        } catch (IOException e) {
            message = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
        }
        String where = endpoint.getAuthority();
        String text = message.isEmpty() ? "HTTP " + status + " from " + where : message;
        switch (status) {
            case 503 -> {
                return new Failure(503, code, "503 " + code + " from " + where + ": " + message, retryAfter(r), null);
            }
            case 504 -> {
                if (!call.retryUnknown()) {
                    throw new OutcomeUnknownException(504, code, call.method() + " " + call.path() + ": " + text
                            + " (504: the write may or may not have been applied: read it before trying again)", null);
                }
                return new Failure(504, code, "504 " + code + " from " + where + ": " + message, Duration.ZERO, null);
            }
            case 404 -> throw new NotFoundException(code, text);
            case 412 -> throw new CasMismatchException(text, currentIndex);
            default -> {
                if (status / 100 == 4) {
                    throw new RequestRejectedException(status, code, text);
                }
                throw new SkiffException(status, code, "HTTP " + status + " from " + where + (message.isEmpty() ? "" : ": " + message), null);
            }
        }
    }

    private SkiffException exhausted(Call call, Failure last, int attempts) {
        String message = call.method() + " " + call.path() + ": gave up after " + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + " over " + budget.toMillis() + " ms on " + endpoints + "; last: " + last.message();
        if (last.status() == 504) {
            return new OutcomeUnknownException(504, last.code(), message, last.cause());
        }
        if (last.status() == 0 && last.cause() != null && !(last.cause() instanceof Exchange.NotSentException)) {
            // a read that timed out everywhere: nothing was changed, but no node said it was unavailable
            return new SkiffException(0, "", message, last.cause());
        }
        return new UnavailableException(last.status(), last.code(), message, last.retryAfter(), last.cause());
    }

    /** {@code Retry-After} as seconds or an HTTP date; zero when absent or unreadable. */
    static Duration retryAfter(Response r) {
        String value = r.header("Retry-After").orElse("").trim();
        if (value.isEmpty()) {
            return Duration.ZERO;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException unreadable) {
                return Duration.ZERO;
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof ConnectException && (m == null || m.isEmpty())) {
            return "connection refused";
        }
        return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
    }

}

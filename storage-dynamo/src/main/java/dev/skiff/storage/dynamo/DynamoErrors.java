package dev.skiff.storage.dynamo;

import java.io.IOException;
import software.amazon.awssdk.core.exception.SdkException;

/** Turns SDK failures (after the client's retries) into IOExceptions that name the table. */
final class DynamoErrors {

    private DynamoErrors() {
    }

    static IOException io(String table, String what, SdkException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new IOException("DynamoDB table " + table + ": " + what + " failed (after retries with backoff): " + message, e);
    }
}

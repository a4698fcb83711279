package dev.skiff.storage.dynamo;

import java.net.URI;

/** The shared DynamoDB Local for tests in other packages. */
public final class DynamoLocalAccess {

    private DynamoLocalAccess() {
    }

    /** The emulator's endpoint, starting it on first use. */
    public static URI endpoint() {
        return DynamoLocal.get().endpoint;
    }
}

package dev.skiff.storage.dynamo;

import java.net.URI;

/** The shared in-JVM DynamoDB emulator for tests in other packages. */
public final class DynamoEmulatorAccess {

    private DynamoEmulatorAccess() {
    }

    /** The emulator's endpoint, starting it on first use. */
    public static URI endpoint() {
        return DynamoEmulator.get().endpoint;
    }
}

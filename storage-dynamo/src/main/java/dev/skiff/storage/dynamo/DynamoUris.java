package dev.skiff.storage.dynamo;

import java.net.URI;

/** Reads {@code dynamodb://TABLE?key=value&…} URIs. */
final class DynamoUris {

    private DynamoUris() {
    }

    /**
     * The table named by the URI's authority (DynamoDB names: 3..255 of A-Z a-z 0-9 _ - .).
     *
     * @throws IllegalArgumentException naming {@code flag} and the URI otherwise
     */
    static String table(URI uri, String flag) {
        String table = uri.getAuthority();
        if (table == null || !table.matches("[A-Za-z0-9_.-]{3,255}")) {
            throw new IllegalArgumentException(flag + " " + uri + ": expected dynamodb://TABLE with a table name of 3..255 "
                    + "characters A-Z a-z 0-9 _ - .");
        }
        if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
            throw new IllegalArgumentException(flag + " " + uri + ": a DynamoDB URI has no path (dynamodb://TABLE?cluster=NAME)");
        }
        return table;
    }
}

/**
 * DynamoDB storage for Skiff: the stable store (term and vote, fenced per process) and the
 * discovery table, plugged into the node through {@link dev.skiff.storage.StorageProvider} by
 * the {@code dynamodb://} scheme. Table layout: see {@code DynamoTables}.
 */
package dev.skiff.storage.dynamo;

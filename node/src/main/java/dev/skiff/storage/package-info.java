/**
 * The storage plug-in point: {@link dev.skiff.storage.StorageProvider}s are found with
 * {@link java.util.ServiceLoader} by URI scheme, so the node runs with local disk alone and
 * gains S3 or DynamoDB by having those modules in {@code lib/}.
 */
package dev.skiff.storage;

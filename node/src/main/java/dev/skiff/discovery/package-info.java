/**
 * Cluster discovery: the {@link dev.skiff.discovery.Discovery} address book (DynamoDB in the
 * cloud through the storage-dynamo module, a directory for local use) and the node's join and
 * bootstrap logic built on it.
 */
package dev.skiff.discovery;

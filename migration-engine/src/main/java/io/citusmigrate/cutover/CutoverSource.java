package io.citusmigrate.cutover;

import io.citusmigrate.load.ConnectionUrl;

import java.sql.Connection;

/**
 * A source database a cutover stops and marks: the cutover's own connection to it, its URL (to
 * connect again for an undo) and the slot its stream reads. One, or each tenant database of a
 * consolidation of databases.
 */
public record CutoverSource(Connection connection, ConnectionUrl url, String slot) {}

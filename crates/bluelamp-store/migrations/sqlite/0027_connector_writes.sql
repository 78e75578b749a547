-- Each write a connected account made on another network (a post, a correction,
-- a deletion), kept for the longest window its network documents, so writes are
-- paced under the network's rate limits ahead of time (domain::pacing).
CREATE TABLE connector_writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL REFERENCES channel_connections(id),
    at_unix INTEGER NOT NULL
);
CREATE INDEX connector_writes_by_connection ON connector_writes(connection_id, at_unix);

-- An account's identity on another network (Bluesky today): where it lives, who
-- it is there, and its credential sealed with a key kept outside the database.
CREATE TABLE channel_connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    network TEXT NOT NULL,
    service_url TEXT NOT NULL,
    identifier TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    sealed_secret TEXT,
    status TEXT NOT NULL,
    last_error TEXT,
    inbound_cursor TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (account_id, network)
);

-- One post on one connected network: queued, sent (with where it is there),
-- failed (why) or removed. Unique per post and connection: never sent twice.
CREATE TABLE channel_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    connection_id INTEGER NOT NULL REFERENCES channel_connections(id),
    network TEXT NOT NULL,
    status TEXT NOT NULL,
    remote_uri TEXT,
    remote_cid TEXT,
    remote_url TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (post_id, connection_id)
);
CREATE INDEX channel_posts_by_remote ON channel_posts(remote_uri);

-- An OAuth authorisation in progress (X's PKCE): the state the network sends back,
-- the verifier only we know, who started it, for which account; used once.
CREATE TABLE connector_grants (
    state TEXT PRIMARY KEY,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    network TEXT NOT NULL,
    verifier TEXT NOT NULL,
    started_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);

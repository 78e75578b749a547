-- Federation (ActivityPub), SQLite. Every account is an actor: its key pair,
-- its remote followers, what arrives in its inboxes and the durable delivery
-- queue for what it sends. Remote ids (actors, activities, objects) are URLs
-- kept as TEXT exactly as received.

-- One RSA key pair per account, made on first use (generation takes ~0.5 s).
CREATE TABLE actor_keys (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    private_pem TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE followers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    actor_id TEXT NOT NULL,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    -- The Follow activity's id, for Undo by id.
    follow_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX followers_account_actor ON followers(account_id, actor_id);
CREATE INDEX followers_actor ON followers(actor_id);

-- Every activity id accepted once: a replay or a loop is recognised here.
CREATE TABLE inbound_activities (
    activity_id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Replies to and mentions of our accounts, sanitised before storing.
CREATE TABLE inbound_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    account_id INTEGER REFERENCES accounts(id),
    object_id TEXT NOT NULL UNIQUE,
    actor_id TEXT NOT NULL,
    author_name TEXT,
    in_reply_to TEXT,
    content_html TEXT NOT NULL,
    content_warning TEXT,
    -- JSON array of {url, media_type, alt}.
    attachments TEXT NOT NULL DEFAULT '[]',
    url TEXT,
    published TEXT,
    received_at TEXT NOT NULL,
    updated_at TEXT,
    deleted_at TEXT
);
CREATE INDEX inbound_messages_force ON inbound_messages(force_id, id);

-- What we send: one row per activity. The JSON body is built once, by the
-- delivery worker (which knows the public scheme), and then reused for every
-- inbox so each receiver sees the same bytes and the same id.
CREATE TABLE outbound_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    -- Create, Update, Delete or Accept.
    kind TEXT NOT NULL,
    post_id INTEGER REFERENCES posts(id),
    post_version INTEGER,
    follow_id TEXT,
    target_actor TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    body TEXT,
    created_at TEXT NOT NULL
);

-- The durable delivery queue: one row per (activity, inbox); shared inboxes
-- make one row serve every follower on that server.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbound_id INTEGER NOT NULL REFERENCES outbound_activities(id),
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    -- queued, delivered or failed.
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at TEXT NOT NULL,
    locked_until TEXT,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE UNIQUE INDEX deliveries_target ON deliveries(outbound_id, inbox);
CREATE INDEX deliveries_due ON deliveries(status, run_at);

-- Staff blocks of a remote actor (an actor id) or a whole domain.
CREATE TABLE remote_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    -- actor or domain.
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX remote_blocks_target ON remote_blocks(force_id, target);

-- Flag activities: reports from other servers, for moderation.
CREATE TABLE remote_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    actor_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    -- JSON array of the reported ids.
    objects TEXT NOT NULL,
    content TEXT,
    received_at TEXT NOT NULL
);

-- Likes and boosts of our posts, one row per remote activity.
CREATE TABLE post_reactions (
    activity_id TEXT PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    actor_id TEXT NOT NULL,
    -- like or announce.
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX post_reactions_post ON post_reactions(post_id, kind);

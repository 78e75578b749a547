-- Publishing: the post workflow (draft, pending approval, scheduled, published,
-- refused, rejected, deleted), revisions, media, and the durable job table.
ALTER TABLE posts ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE posts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE posts ADD COLUMN kind TEXT NOT NULL DEFAULT 'update';
ALTER TABLE posts ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN reply_to_post_id INTEGER REFERENCES posts(id);
ALTER TABLE posts ADD COLUMN link_kind TEXT;
ALTER TABLE posts ADD COLUMN link_ref TEXT;
ALTER TABLE posts ADD COLUMN decision TEXT NOT NULL DEFAULT 'publish';
ALTER TABLE posts ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE posts ADD COLUMN scheduled_at TEXT;
ALTER TABLE posts ADD COLUMN published_at TEXT;
ALTER TABLE posts ADD COLUMN updated_at TEXT;
ALTER TABLE posts ADD COLUMN deleted_at TEXT;
ALTER TABLE posts ADD COLUMN reviewed_by INTEGER REFERENCES users(id);
ALTER TABLE posts ADD COLUMN review_note TEXT;
CREATE INDEX posts_public ON posts(account_id, status, id);
CREATE INDEX posts_force_public ON posts(force_id, status, id);
CREATE INDEX posts_queue ON posts(force_id, status, created_at);

CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    edited_by INTEGER NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions(post_id, version);

CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    post_id INTEGER REFERENCES posts(id),
    position INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    thumbnail_key TEXT,
    width INTEGER,
    height INTEGER,
    byte_size INTEGER NOT NULL,
    sha256_original TEXT NOT NULL,
    sha256_stored TEXT NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX media_post ON media(post_id, position);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 10,
    locked_until TEXT,
    done_at TEXT,
    failed_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs(done_at, failed_at, run_at);

ALTER TABLE forces ADD COLUMN scheduling_paused INTEGER NOT NULL DEFAULT 0;

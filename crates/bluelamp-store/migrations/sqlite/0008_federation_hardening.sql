-- Federation hardening, SQLite.
--
-- 1. Inbound de-duplication is per force: the same Create sent to two forces
--    (each its own ActivityPub server) must reach both. Rows recorded before
--    this change belong to no force; they are kept for every force so a replay
--    of an old activity is still recognised everywhere.
CREATE TABLE inbound_activities_by_force (
    force_id INTEGER NOT NULL REFERENCES forces(id),
    activity_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (force_id, activity_id)
);
INSERT INTO inbound_activities_by_force (force_id, activity_id, actor_id, kind, received_at)
    SELECT f.id, a.activity_id, a.actor_id, a.kind, a.received_at
    FROM inbound_activities a CROSS JOIN forces f;
DROP TABLE inbound_activities;
ALTER TABLE inbound_activities_by_force RENAME TO inbound_activities;

-- 2. A message is stored once per force, not once across all forces. SQLite
--    cannot drop the column's UNIQUE constraint, so the table is rebuilt with
--    the same rows and ids.
CREATE TABLE inbound_messages_by_force (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    account_id INTEGER REFERENCES accounts(id),
    object_id TEXT NOT NULL,
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
INSERT INTO inbound_messages_by_force (id, force_id, account_id, object_id, actor_id,
    author_name, in_reply_to, content_html, content_warning, attachments, url, published,
    received_at, updated_at, deleted_at)
    SELECT id, force_id, account_id, object_id, actor_id, author_name, in_reply_to,
        content_html, content_warning, attachments, url, published, received_at, updated_at,
        deleted_at
    FROM inbound_messages;
DROP TABLE inbound_messages;
ALTER TABLE inbound_messages_by_force RENAME TO inbound_messages;
CREATE INDEX inbound_messages_force ON inbound_messages(force_id, id);
CREATE UNIQUE INDEX inbound_messages_force_object ON inbound_messages(force_id, object_id);
CREATE INDEX inbound_messages_object ON inbound_messages(object_id, actor_id);

-- 3. One like and one boost per remote actor and post, whatever activity ids
--    it sends: extra rows from before are dropped (the earliest is kept).
DELETE FROM post_reactions WHERE activity_id NOT IN (
    SELECT MIN(activity_id) FROM post_reactions GROUP BY post_id, actor_id, kind
);
CREATE UNIQUE INDEX post_reactions_once ON post_reactions(post_id, actor_id, kind);

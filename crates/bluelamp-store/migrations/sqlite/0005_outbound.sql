-- Outbound federation, SQLite: content warnings on posts, the mentions a post
-- resolved when it went out (so the Note delivered and the Note served at its URL
-- are the same), and boosts (Announce) of a force's posts by its other accounts.

-- Shown before the text (a Note's `summary` with `sensitive`); NULL when none.
ALTER TABLE posts ADD COLUMN content_warning TEXT;

-- One row per `@user@domain` in a post's text that resolved to an actor. `acct`
-- is `user@domain` in lower case; `inbox` is NULL for our own accounts (nothing
-- to deliver). A mention that did not resolve has no row and stays plain text.
CREATE TABLE post_mentions (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    acct TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    inbox TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, acct)
);

-- A force account sharing (boosting) another account's public post. One active
-- share per (account, post); an undone share keeps its row (and its Announce id).
CREATE TABLE post_shares (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    shared_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    undone_at TEXT
);
CREATE UNIQUE INDEX post_shares_active ON post_shares(account_id, post_id) WHERE undone_at IS NULL;

-- Which share an Announce (or its Undo) is about: its id is part of the activity id.
ALTER TABLE outbound_activities ADD COLUMN share_id INTEGER REFERENCES post_shares(id);

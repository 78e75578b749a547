-- Apps that officers use to post (Mastodon-compatible clients): registered apps,
-- one-time authorisation codes, app tokens (an api_tokens row that remembers its
-- app and the account it acts as), app-only tokens (client credentials) and the
-- Idempotency-Key record of statuses posted from apps.
CREATE TABLE oauth_apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    website TEXT,
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE oauth_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT NOT NULL UNIQUE,
    app_id INTEGER NOT NULL REFERENCES oauth_apps(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    scopes TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE oauth_app_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL REFERENCES oauth_apps(id),
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
ALTER TABLE api_tokens ADD COLUMN app_id INTEGER REFERENCES oauth_apps(id);
ALTER TABLE api_tokens ADD COLUMN account_id INTEGER REFERENCES accounts(id);
CREATE TABLE status_idempotency (
    user_id INTEGER NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

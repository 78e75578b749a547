-- E-mail subscriptions and the durable mail outbox (SQLite).
-- Subscribers are personal data, so a row holds only what the service needs: the
-- address, what it follows, the delivery choice and timestamps. The confirmation
-- token is stored only as its SHA-256 hash; unsubscribe links are derived from a
-- server key (mail_keys) and the row id, so no unsubscribe secret is stored at all.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    -- NULL: the whole force.
    account_id INTEGER REFERENCES accounts(id),
    email TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    confirm_token_hash TEXT,
    confirm_expires_at TEXT,
    -- Confirmation mails sent in the current window, for the per-address throttle.
    confirm_sends INTEGER NOT NULL DEFAULT 0,
    confirm_window_start TEXT,
    bounce_count INTEGER NOT NULL DEFAULT 0,
    last_digest_at TEXT,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at TEXT NOT NULL
);
-- One row per address and scope; NULL account ids are distinct in a plain unique
-- index, so the whole-force scope has its own partial index.
CREATE UNIQUE INDEX subscribers_account_email ON subscribers(force_id, account_id, email) WHERE account_id IS NOT NULL;
CREATE UNIQUE INDEX subscribers_force_email ON subscribers(force_id, email) WHERE account_id IS NULL;
CREATE UNIQUE INDEX subscribers_confirm_token ON subscribers(confirm_token_hash);
CREATE INDEX subscribers_delivery ON subscribers(force_id, status, mode);
CREATE INDEX subscribers_email ON subscribers(email);

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER REFERENCES subscribers(id),
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    -- The one-click unsubscribe URL (relative to the public base URL), if any.
    list_unsubscribe TEXT,
    -- queued, sent, bounced, failed or cancelled.
    status TEXT NOT NULL DEFAULT 'queued',
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    locked_until TEXT,
    sent_at TEXT,
    failed_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    dedupe_key TEXT UNIQUE
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, run_at);
CREATE INDEX mail_outbox_subscriber ON mail_outbox(subscriber_id);

CREATE TABLE mail_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

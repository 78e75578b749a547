-- Senders staff have muted (their messages are kept but hidden on arrival, for
-- review, unless urgent) or blocked (on a network that can refuse them, the
-- fediverse, they are refused there too).
CREATE TABLE inbox_muted_senders (
    force_id INTEGER NOT NULL REFERENCES forces(id),
    channel TEXT NOT NULL,
    author_handle TEXT NOT NULL,
    mode TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (force_id, channel, author_handle)
);

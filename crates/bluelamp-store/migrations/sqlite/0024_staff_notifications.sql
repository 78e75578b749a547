-- What staff are told: a post waits for their approval; their post was approved,
-- rejected or published. One row per person and event (the dedupe key), so a
-- retried transaction never tells anyone twice.
CREATE TABLE staff_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    post_id INTEGER REFERENCES posts(id),
    text TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX staff_notifications_by_user ON staff_notifications(user_id, read_at, id);

-- Canned replies: a force's prepared answers, with variables ({name},
-- {reference}, {force}, {channel}) filled from the message being answered.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX canned_replies_force ON canned_replies (force_id, title);

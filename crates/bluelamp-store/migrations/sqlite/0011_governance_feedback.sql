-- Labelled examples from use, for the governance check's next training round: a
-- supervisor approving a post the check held (the check was wrong to hold it, they
-- say why) and anyone reporting a published post the check should have stopped.
-- `draft` is the post as the check read it (text, context, media, channels), in the
-- corpus format, so that export needs no join and survives later edits.
CREATE TABLE governance_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    kind TEXT NOT NULL CHECK (kind IN ('approved-held', 'reported')),
    reason TEXT NOT NULL,
    categories TEXT NOT NULL,
    check_decision TEXT NOT NULL,
    draft TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    user_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX governance_feedback_force ON governance_feedback (force_id, id);

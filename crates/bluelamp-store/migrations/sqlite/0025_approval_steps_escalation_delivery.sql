-- Approval steps per account: a chain of one or more steps (a supervisor, then
-- the comms team), each satisfied by any one or by all of its approvers. An
-- account without steps keeps the single step of its members who may approve.
CREATE TABLE approval_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    needs_all INTEGER NOT NULL DEFAULT 0,
    approvers TEXT NOT NULL,
    UNIQUE (account_id, position)
);

-- Who approved which step of a post, with the rationale; cleared when the words
-- change (an approval is of the words approved).
CREATE TABLE post_approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    step INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    rationale TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (post_id, user_id)
);
CREATE INDEX post_approvals_by_post ON post_approvals(post_id, step);

-- A refused draft the author escalated to a supervisor, with their reason, and
-- the documented waiver or court order where the law needs one.
ALTER TABLE posts ADD COLUMN escalation_reason TEXT;
ALTER TABLE posts ADD COLUMN waiver_reference TEXT;

-- Staff who want notifications by e-mail give an address; Web Push subscriptions
-- are per browser.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN notify_by_email INTEGER NOT NULL DEFAULT 0;
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions(user_id);

-- One inbox for everything the public says, whatever the channel (fediverse,
-- Bluesky, X, Facebook, e-mail, the web contact form). A message is stored once per
-- force, channel and external id: a connector may resend, and the second copy is the
-- same message. Triage (categories, primary, urgency, priority and the words that
-- decided them) is stored with it when it arrives; a person's overrule is an event.
CREATE TABLE inbox_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    account_id INTEGER REFERENCES accounts(id),
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    author_handle TEXT NOT NULL,
    author_name TEXT,
    author_url TEXT,
    body TEXT NOT NULL,
    media TEXT NOT NULL,
    reply_to TEXT,
    conversation TEXT,
    sent_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    labels TEXT NOT NULL,
    primary_category TEXT NOT NULL,
    urgent INTEGER NOT NULL,
    priority TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    team TEXT,
    hidden_at TEXT,
    hidden_reason TEXT,
    auto_reply TEXT,
    UNIQUE (force_id, channel, external_id)
);
CREATE INDEX inbox_messages_queue ON inbox_messages (force_id, status, id);
CREATE INDEX inbox_messages_author ON inbox_messages (force_id, author_handle, id);

-- What people did with a message: notes, assignment, status, hiding and restoring
-- (with the reason), a triage overrule (exported as a labelled example).
CREATE TABLE inbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES inbox_messages(id),
    force_id INTEGER NOT NULL REFERENCES forces(id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    user_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX inbox_events_message ON inbox_events (message_id, id);
CREATE INDEX inbox_events_kind ON inbox_events (force_id, kind, id);

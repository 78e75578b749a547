-- Cases (a journal of legal status that feeds the governance check), live incidents
-- with structured updates, appeals, and tips from the public with their evidence.
-- An incident update or an appeal is published as an ordinary post linked to it
-- (posts.link_kind/link_ref), so the check, approval and every channel apply.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    sexual_offence INTEGER NOT NULL DEFAULT 0,
    court TEXT,
    court_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (force_id, reference)
);
CREATE TABLE case_people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    age INTEGER
);
CREATE INDEX case_people_case ON case_people (case_id);
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    user_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX posts_link ON posts (force_id, link_kind, link_ref);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    area TEXT NOT NULL,
    area_geojson TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    summary TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (force_id, reference)
);
CREATE TABLE incident_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    facts TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, id);

CREATE TABLE appeals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    happened_at TEXT,
    place TEXT NOT NULL,
    respond TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    post_id INTEGER REFERENCES posts(id),
    case_reference TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (force_id, reference)
);
CREATE INDEX appeals_force ON appeals (force_id, status, id);

CREATE TABLE tips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    appeal_id INTEGER REFERENCES appeals(id),
    text TEXT NOT NULL,
    contact_name TEXT,
    contact_detail TEXT,
    sender_address TEXT,
    status TEXT NOT NULL,
    decision_reason TEXT,
    case_reference TEXT,
    decided_by_label TEXT,
    received_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX tips_force ON tips (force_id, status, id);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    tip_id INTEGER REFERENCES tips(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    declared_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX evidence_tip ON evidence (tip_id, id);
CREATE TABLE evidence_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    action TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    user_label TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX evidence_log_item ON evidence_log (evidence_id, id);
-- Resumable uploads (tus 1.0): the bytes live in a file named by the id; a row
-- that is not finished by expires_at is discarded with its file.
CREATE TABLE tus_uploads (
    id TEXT PRIMARY KEY,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    upload_length INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    sender_address TEXT,
    evidence_id INTEGER REFERENCES evidence(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

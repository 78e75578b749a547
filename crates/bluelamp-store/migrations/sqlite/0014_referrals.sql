-- Safeguarding referrals to partner agencies (council safeguarding, health, fire...).
-- A partner user belongs to one or more of their force's agencies and sees only the
-- referrals made to them: the minimum data the referrer chose to share, never the
-- inbox itself.
CREATE TABLE partner_agencies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (force_id, name)
);
CREATE TABLE partner_members (
    agency_id INTEGER NOT NULL REFERENCES partner_agencies(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (agency_id, user_id)
);
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    agency_id INTEGER NOT NULL REFERENCES partner_agencies(id),
    message_id INTEGER NOT NULL REFERENCES inbox_messages(id),
    shared TEXT NOT NULL,
    lawful_basis TEXT NOT NULL,
    consent TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX referrals_agency ON referrals (agency_id, id);
CREATE TABLE referral_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    referral_id INTEGER NOT NULL REFERENCES referrals(id),
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    user_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

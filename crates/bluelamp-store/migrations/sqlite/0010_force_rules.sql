-- A force's governance rule file (TOML read by bluelamp-governance), versioned:
-- every saved version is kept with who saved it and when. The newest version is
-- the one in force; servers key their compiled-engine cache by its number.
CREATE TABLE force_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    version INTEGER NOT NULL,
    rules TEXT NOT NULL,
    saved_by INTEGER REFERENCES users(id),
    saved_by_label TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (force_id, version)
);

-- Rumour clusters: inbox messages that ask about or spread the same claim, grouped as
-- they arrive (MinHash signatures; `rumour_bands` indexes their bands so a new
-- message finds its candidates by lookup). An officer attaches one published answer
-- post and every message in the cluster is answered with it.
CREATE TABLE rumour_clusters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    force_id INTEGER NOT NULL REFERENCES forces(id),
    signature TEXT NOT NULL,
    sample TEXT NOT NULL,
    size INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    answer_post_id INTEGER REFERENCES posts(id),
    answered_at TEXT
);
CREATE INDEX rumour_clusters_force ON rumour_clusters (force_id, last_seen);
CREATE TABLE rumour_bands (
    force_id INTEGER NOT NULL REFERENCES forces(id),
    band_key TEXT NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES rumour_clusters(id),
    PRIMARY KEY (force_id, band_key, cluster_id)
);
ALTER TABLE inbox_messages ADD COLUMN cluster_id INTEGER REFERENCES rumour_clusters(id);
CREATE INDEX inbox_messages_cluster ON inbox_messages (cluster_id);

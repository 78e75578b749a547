-- How many people each remote account that amplifies us reaches: its follower
-- count, read from its followers collection's totalItems. A row with no
-- fetched_at is waiting to be looked up (the reach job takes those).
CREATE TABLE remote_reach (
    actor_id TEXT PRIMARY KEY,
    followers INTEGER,
    fetched_at TEXT
);
CREATE INDEX remote_reach_to_fetch ON remote_reach(actor_id) WHERE fetched_at IS NULL;

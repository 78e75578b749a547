-- Federation hardening, PostgreSQL.
--
-- 1. Inbound de-duplication is per force: the same Create sent to two forces
--    (each its own ActivityPub server) must reach both. Rows recorded before
--    this change belong to no force; they are kept for every force so a replay
--    of an old activity is still recognised everywhere.
CREATE TABLE inbound_activities_by_force (
    force_id BIGINT NOT NULL REFERENCES forces(id),
    activity_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (force_id, activity_id)
);
INSERT INTO inbound_activities_by_force (force_id, activity_id, actor_id, kind, received_at)
    SELECT f.id, a.activity_id, a.actor_id, a.kind, a.received_at
    FROM inbound_activities a CROSS JOIN forces f;
DROP TABLE inbound_activities;
ALTER TABLE inbound_activities_by_force RENAME TO inbound_activities;

-- 2. A message is stored once per force, not once across all forces.
ALTER TABLE inbound_messages DROP CONSTRAINT IF EXISTS inbound_messages_object_id_key;
CREATE UNIQUE INDEX inbound_messages_force_object ON inbound_messages(force_id, object_id);
CREATE INDEX inbound_messages_object ON inbound_messages(object_id, actor_id);

-- 3. One like and one boost per remote actor and post, whatever activity ids
--    it sends: extra rows from before are dropped (the earliest is kept).
DELETE FROM post_reactions WHERE activity_id NOT IN (
    SELECT MIN(activity_id) FROM post_reactions GROUP BY post_id, actor_id, kind
);
CREATE UNIQUE INDEX post_reactions_once ON post_reactions(post_id, actor_id, kind);

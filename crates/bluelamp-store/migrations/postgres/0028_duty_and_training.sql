-- Who is on duty (told at once of an emergency from the public) and who is trained
-- in safeguarding (a safeguarding message is routed to them); notifications about
-- an inbox message link to it.
ALTER TABLE users ADD COLUMN on_duty BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN safeguarding_trained BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE staff_notifications ADD COLUMN message_id BIGINT REFERENCES inbox_messages(id);

-- Who is on duty (told at once of an emergency from the public) and who is trained
-- in safeguarding (a safeguarding message is routed to them); notifications about
-- an inbox message link to it.
ALTER TABLE users ADD COLUMN on_duty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN safeguarding_trained INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff_notifications ADD COLUMN message_id INTEGER REFERENCES inbox_messages(id);

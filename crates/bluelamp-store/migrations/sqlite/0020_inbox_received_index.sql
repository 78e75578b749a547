-- The flood check counts each sender's messages of the last minutes.
CREATE INDEX inbox_messages_received ON inbox_messages (force_id, received_at);

-- Replies count as amplification too: per post, per amplifier and month, and
-- which inbox messages replied to which post (so a post's page can list them).
ALTER TABLE stats_post ADD COLUMN replies BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stats_amplifier_month ADD COLUMN replies BIGINT NOT NULL DEFAULT 0;
CREATE TABLE post_replies (
    post_id BIGINT NOT NULL REFERENCES posts(id),
    message_id BIGINT NOT NULL REFERENCES inbox_messages(id),
    PRIMARY KEY (post_id, message_id)
);

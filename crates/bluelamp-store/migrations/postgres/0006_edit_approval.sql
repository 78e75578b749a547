-- An edit of an approved post (published or scheduled) by a member who may not
-- post without approval is only a proposal: the approved text stays public until
-- a supervisor approves the edit. One open proposal per post; a newer one
-- replaces it. NULL proposed_text means none is waiting.
ALTER TABLE posts ADD COLUMN proposed_text TEXT;
ALTER TABLE posts ADD COLUMN proposed_body TEXT;
ALTER TABLE posts ADD COLUMN proposed_by BIGINT REFERENCES users(id);
ALTER TABLE posts ADD COLUMN proposed_decision TEXT;
ALTER TABLE posts ADD COLUMN proposed_findings TEXT;
ALTER TABLE posts ADD COLUMN proposed_at TEXT;
CREATE INDEX posts_proposed ON posts(force_id) WHERE proposed_text IS NOT NULL;

-- Public pages and feeds list posts in the order they went public.
CREATE INDEX posts_public_order ON posts(force_id, account_id, published_at, id);

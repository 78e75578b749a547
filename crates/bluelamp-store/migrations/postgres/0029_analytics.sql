-- Analytics roll-ups (reach, response, style, campaigns). Dashboards read only
-- these tables, never the raw rows. One counting job fills them: it takes what is
-- new (marked by the `counted` flags below, each with a partial index so finding
-- the new rows never scans the old) and, in the same transaction, adds it to the
-- roll-ups and sets the flag. A crash rolls both back, so nothing is counted twice.

-- posts.counted: 0 nothing yet; 1 the check's outcome; 3 that and the publication.
ALTER TABLE posts ADD COLUMN counted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX posts_to_count ON posts(id) WHERE counted = 0 OR (counted = 1 AND status = 'published');
ALTER TABLE post_reactions ADD COLUMN counted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX post_reactions_to_count ON post_reactions(created_at) WHERE counted = 0;
-- inbox_messages.counted: bit 1 received, bit 2 first answer, bit 4 closed.
ALTER TABLE inbox_messages ADD COLUMN answered_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN closed_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN counted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX inbox_messages_to_count ON inbox_messages(id)
    WHERE counted = 0 OR (counted = 1 AND (answered_at IS NOT NULL OR closed_at IS NOT NULL))
       OR (counted = 3 AND closed_at IS NOT NULL);

-- Followers per account, channel and local day: the last count taken that day.
CREATE TABLE audience_daily (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    followers BIGINT NOT NULL,
    PRIMARY KEY (account_id, channel, day)
);
CREATE INDEX audience_daily_force ON audience_daily(force_id, day);
-- The same summed per force and channel, written by the same snapshot, so the
-- national view reads 43 rows a day rather than every account's.
CREATE TABLE audience_force_daily (
    force_id BIGINT NOT NULL REFERENCES forces(id),
    channel TEXT NOT NULL,
    day TEXT NOT NULL,
    followers BIGINT NOT NULL,
    PRIMARY KEY (force_id, channel, day)
);
CREATE INDEX audience_force_daily_day ON audience_force_daily(day);

-- Feed readers as aggregators state them in their User-Agent ("42 subscribers").
CREATE TABLE feed_readers (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    fetcher TEXT NOT NULL,
    subscribers BIGINT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (account_id, fetcher)
);

-- Per account and local day: what it published and the reactions that arrived.
CREATE TABLE stats_account_day (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    day TEXT NOT NULL,
    posts BIGINT NOT NULL DEFAULT 0,
    replies BIGINT NOT NULL DEFAULT 0,
    likes BIGINT NOT NULL DEFAULT 0,
    boosts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);
CREATE INDEX stats_account_day_force ON stats_account_day(force_id, day);

-- Per published post: its author, kind and the reactions it drew.
CREATE TABLE stats_post (
    post_id BIGINT PRIMARY KEY REFERENCES posts(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    likes BIGINT NOT NULL DEFAULT 0,
    boosts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX stats_post_author ON stats_post(author_user_id, day);

-- When each officer posts, in the force's local time (weekday 0 = Monday).
CREATE TABLE stats_author_hour (
    user_id BIGINT NOT NULL REFERENCES users(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    day TEXT NOT NULL,
    hour BIGINT NOT NULL,
    weekday BIGINT NOT NULL,
    posts BIGINT NOT NULL DEFAULT 0,
    replies BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, hour)
);

-- What the check said of each author's drafts, by outcome and rule.
CREATE TABLE stats_check_day (
    user_id BIGINT NOT NULL REFERENCES users(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    day TEXT NOT NULL,
    decision TEXT NOT NULL,
    rule TEXT NOT NULL,
    drafts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, decision, rule)
);

-- Who amplifies each account, per local month ("2026-11"): a month keeps a
-- community's regulars in one row each instead of one per day.
CREATE TABLE stats_amplifier_month (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    month TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    likes BIGINT NOT NULL DEFAULT 0,
    boosts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, month, actor_id)
);

-- The inbox's response times by account (0: none), category, shift and local day.
CREATE TABLE stats_response_day (
    force_id BIGINT NOT NULL REFERENCES forces(id),
    account_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    shift TEXT NOT NULL,
    day TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    answered BIGINT NOT NULL DEFAULT 0,
    answer_minutes BIGINT NOT NULL DEFAULT 0,
    answered_in_target BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    close_minutes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (force_id, day, account_id, category, shift)
);

-- A campaign: a hashtag and a period, for one force or (national) any that joins.
CREATE TABLE campaigns (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    force_id BIGINT NOT NULL REFERENCES forces(id),
    tag TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    national BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX campaigns_tag ON campaigns(tag_key, ends_at);
CREATE TABLE campaign_forces (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, force_id)
);
-- Posts carrying the tag, per force and UTC hour.
CREATE TABLE campaign_counts (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    force_id BIGINT NOT NULL REFERENCES forces(id),
    hour TEXT NOT NULL,
    posts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, force_id, hour)
);

-- Where a force is, for the campaign map: a point, and its area as GeoJSON.
CREATE TABLE force_places (
    force_id BIGINT PRIMARY KEY REFERENCES forces(id),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    area_geojson TEXT,
    updated_at TEXT NOT NULL
);

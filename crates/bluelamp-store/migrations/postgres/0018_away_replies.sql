-- An account's out-of-hours auto-reply: sent at once to a message addressed to
-- the account that arrives outside the force's office hours.
CREATE TABLE account_away_replies (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

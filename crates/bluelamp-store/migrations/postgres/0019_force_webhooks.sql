-- A force's webhook: where emergencies and incident records are sent for its
-- command-and-control system, and the secret the requests are signed with.
CREATE TABLE force_webhooks (
    force_id BIGINT PRIMARY KEY REFERENCES forces(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

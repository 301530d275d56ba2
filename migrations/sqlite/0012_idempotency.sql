-- Idempotency keys (issue 10): a POST to the REST API with an
-- `Idempotency-Key` is done once per account and key; a retry within 24 h
-- gets the stored answer. The primary key is the claim: of two requests
-- with one key, one INSERT wins. status and body are NULL while the first
-- request is still in progress. fingerprint is the SHA-256 (hex) of the
-- request's method, path and body.
CREATE TABLE idempotency_keys (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
-- The sweep removes keys older than 24 h.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);

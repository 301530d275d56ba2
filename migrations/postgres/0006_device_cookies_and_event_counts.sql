-- Device cookies: a browser that signed in to an account keeps its own
-- sign-in budget there, so guesses from elsewhere cannot lock the owner out
-- (OWASP "device cookies"). Only the SHA-256 of a cookie's token is stored.
-- session_id is the session the device last signed in with: ending sessions
-- from elsewhere revokes the device cookies that went with them.
CREATE TABLE device_cookies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    session_id TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX device_cookies_by_account ON device_cookies(account_id, revoked_at);

-- Refused attempts that anyone can repeat at will are counted, not listed:
-- one row per account (or none), kind, source and hour, updated in place.
-- aggregate_key names that row; it is NULL for every other event.
ALTER TABLE security_events ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE security_events ADD COLUMN first_at BIGINT;
ALTER TABLE security_events ADD COLUMN aggregate_key TEXT;
UPDATE security_events SET first_at = at;
CREATE UNIQUE INDEX security_events_aggregate ON security_events(aggregate_key);
CREATE INDEX security_events_by_time ON security_events(at);

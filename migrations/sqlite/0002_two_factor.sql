-- Authenticator-app TOTP and recovery codes. A session that has passed the
-- password but not yet the second factor is marked pending and reaches nothing.
CREATE TABLE totp_credentials (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    -- NULL while the enrolment waits for its first code
    enabled_at INTEGER,
    -- the newest accepted time step: codes at or before it are refused
    last_used_step INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX recovery_codes_by_account ON recovery_codes(account_id, used_at);

ALTER TABLE sessions ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;

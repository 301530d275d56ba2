-- Authenticator-app TOTP and recovery codes. A session that has passed the
-- password but not yet the second factor is marked pending and reaches nothing.
CREATE TABLE totp_credentials (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    -- NULL while the enrolment waits for its first code
    enabled_at BIGINT,
    -- the newest accepted time step: codes at or before it are refused
    last_used_step BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX recovery_codes_by_account ON recovery_codes(account_id, used_at);

ALTER TABLE sessions ADD COLUMN second_factor_pending BIGINT NOT NULL DEFAULT 0;

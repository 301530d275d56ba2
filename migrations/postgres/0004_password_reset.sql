-- Password-reset links. Only the SHA-256 of a link's token is stored. A link
-- closes when it is used, when a newer one is sent, or when the password
-- changes; it also lapses at expires_at.
CREATE TABLE password_resets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    -- used | superseded | password_changed
    closed_reason TEXT
);
CREATE INDEX password_resets_open ON password_resets(account_id, closed_at);

ALTER TABLE accounts ADD COLUMN password_changed_at BIGINT;

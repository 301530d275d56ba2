-- API Access Tokens: only the SHA-256 of a token is stored, and its first
-- eight characters after `wdn_` (the prefix) to tell it apart in the list
-- and in logs. Deleting sets deleted_at: the token is refused from the next
-- request on, the prefix a log line names still leads to its row, and the
-- name is free again, since it is unique only among an account's live tokens,
-- ignoring case (name_key).
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    access TEXT NOT NULL CHECK (access IN ('read', 'read_write')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    deleted_at BIGINT,
    last_used_at BIGINT,
    last_used_ip TEXT,
    last_used_user_agent TEXT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(account_id, name_key) WHERE deleted_at IS NULL;
CREATE INDEX api_tokens_by_account ON api_tokens(account_id, deleted_at);

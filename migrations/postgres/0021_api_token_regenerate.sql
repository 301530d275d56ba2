-- Regenerating a token: a new secret under the same name, scope and
-- lifetime. The secret it replaced may keep working for an overlap its
-- owner chose (none, an hour, a day): its SHA-256 and prefix, and until
-- when (never past the old expiry). Regenerating again ends that overlap.
-- `regenerated_at` is when the current secret was made (the lifetime of
-- a renewal is counted from it).
ALTER TABLE api_tokens ADD COLUMN previous_hash TEXT;
ALTER TABLE api_tokens ADD COLUMN previous_prefix TEXT;
ALTER TABLE api_tokens ADD COLUMN previous_until BIGINT;
ALTER TABLE api_tokens ADD COLUMN regenerated_at BIGINT;
CREATE UNIQUE INDEX api_tokens_previous_hash ON api_tokens(previous_hash);

-- Promises under parallel attack (the 2026-12-06 review).

-- Step-up ("sudo mode"): a session that just proved it is its owner (the
-- password, and a second factor when the account has one) may make
-- sensitive changes until step_up_until without being asked again.
-- step_up_level says what was proved: 1 the password, 2 the password and a
-- second factor. Sign-out ends it with the session.
ALTER TABLE sessions ADD COLUMN step_up_until BIGINT;
ALTER TABLE sessions ADD COLUMN step_up_level BIGINT NOT NULL DEFAULT 0;

-- Recovery codes: a 16-bit lookup hint (from SHA-256 of the code), so a
-- typed code is checked against one argon2id hash, not every unused one.
-- NULL for codes made before; those are checked one by one as before.
ALTER TABLE recovery_codes ADD COLUMN lookup TEXT;
CREATE INDEX recovery_codes_by_lookup ON recovery_codes(account_id, lookup);

-- API tokens: listing and ending the account's browser sessions is a scope
-- of its own (0 or 1), never part of read or read-and-write access.
ALTER TABLE api_tokens ADD COLUMN sessions_scope BIGINT NOT NULL DEFAULT 0;

-- Idempotency keys: a claim in progress holds its key only until
-- locked_until (a lease of minutes), so a client that went away does not
-- leave it "in progress" for a day.
ALTER TABLE idempotency_keys ADD COLUMN locked_until BIGINT;

-- Counted refusals fold per account, kind and hour across sources: the
-- row keeps the distinct sources it came from (IPv6 by /64, up to 100,
-- comma-separated) and how many there are.
ALTER TABLE security_events ADD COLUMN sources BIGINT NOT NULL DEFAULT 1;
ALTER TABLE security_events ADD COLUMN source_list TEXT NOT NULL DEFAULT '';

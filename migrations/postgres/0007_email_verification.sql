-- Email verification. An address receives reset links and security notices
-- only once it is verified (email_verified_at set), and only one account can
-- hold an address verified; an unverified address may sit on several
-- accounts, so signing up with a registered address answers like a new one.
-- Accounts that exist now stay unverified (they see "Confirm your email
-- address" and keep working).
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;
CREATE UNIQUE INDEX accounts_verified_email ON accounts(email) WHERE email_verified_at IS NOT NULL;
CREATE INDEX accounts_by_email ON accounts(email);

-- Verification links. Only the SHA-256 of a link's token is stored, with the
-- address it was sent to. A link closes when it is used or a newer one is
-- sent; it also lapses at expires_at. At most one is open per account.
CREATE TABLE email_verifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    -- used | superseded
    closed_reason TEXT
);
CREATE UNIQUE INDEX email_verifications_one_open ON email_verifications(account_id) WHERE closed_at IS NULL;

-- Passkeys: security keys registered as discoverable (resident) credentials
-- with user verification, which can also sign in without a password.
-- `passkey` is a flag (0 or 1; an integer so sqlx::Any reads it on both
-- backends).
ALTER TABLE webauthn_credentials ADD COLUMN passkey BIGINT NOT NULL DEFAULT 0;

-- The WebAuthn user handle of an account's passkeys: one per account, made
-- with its first passkey and kept, so every passkey of the account carries
-- the same handle on its authenticator (a resident credential is stored per
-- relying party and user handle). Random: it says nothing about the account.
CREATE TABLE webauthn_user_handles (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    user_handle TEXT NOT NULL UNIQUE
);

-- Whether a registration in flight is for a passkey.
ALTER TABLE webauthn_challenges ADD COLUMN passkey BIGINT NOT NULL DEFAULT 0;

-- A passwordless sign-in in flight. A guest has no session, so the
-- challenge is bound to the browser that asked by a random value in a
-- short-lived cookie; only its SHA-256 is stored. Taken (DELETE … RETURNING)
-- by the first answer, good for a few minutes.
CREATE TABLE webauthn_passkey_challenges (
    browser_hash TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Security keys and passkeys (WebAuthn) as a second factor beside the
-- authenticator app. One row per registered credential; its id (base64url,
-- as the browser sends it back) is unique across all accounts.
-- `credential` is webauthn-rs's stored form of the key (public key, counter,
-- transports, flags); `counter` mirrors its signature counter so a counter
-- that goes backwards can be refused with a compare-and-set.
CREATE TABLE webauthn_credentials (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    counter BIGINT NOT NULL,
    transports TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);

-- A ceremony in flight: the challenge state webauthn-rs needs to finish it,
-- bound to the session that asked, at most one per session and purpose,
-- taken (DELETE … RETURNING) by the first answer, good for a few minutes.
-- In the database so the answer may land on any instance.
CREATE TABLE webauthn_challenges (
    session_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    key_name TEXT,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, purpose)
);

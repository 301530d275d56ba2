-- An account as its owner or its API token reads it (`domain::overview`),
-- in one statement: who it is and how it is protected. Each second factor
-- and the PIN are read from their own slice's table by its primary key or
-- its account index, so the REST door authenticates a token and reads its
-- account in one round trip (joined to `api_tokens`). Nothing secret: no
-- hash, no key.
CREATE VIEW account_overview AS
SELECT
    a.id AS account_id,
    a.username,
    a.email,
    a.email_verified_at,
    a.time_zone,
    a.created_at AS account_created_at,
    a.password_changed_at,
    (SELECT t.enabled_at FROM totp_credentials t WHERE t.account_id = a.id) AS authenticator_app_since,
    (SELECT COUNT(*) FROM webauthn_credentials w WHERE w.account_id = a.id) AS security_keys,
    (SELECT COUNT(*) FROM webauthn_credentials w WHERE w.account_id = a.id AND w.passkey <> 0) AS passkeys,
    (SELECT COUNT(*) FROM recovery_codes r WHERE r.account_id = a.id AND r.used_at IS NULL) AS recovery_codes_left,
    (SELECT p.set_at FROM pins p WHERE p.account_id = a.id) AS pin_since
FROM accounts a;

-- "Was this you?": new-sign-in alerts, the "This wasn't me" link, the mail
-- log and named sessions.
--
-- sign_in_alerts: 1 (the default) mails the owner after a sign-in from a
-- browser without the account's device cookie and from a network not seen
-- for the account in 90 days; 0 records the event only.
ALTER TABLE accounts ADD COLUMN sign_in_alerts INTEGER NOT NULL DEFAULT 1;

-- The networks (IPv4 /24, IPv6 /48) an account completed a sign-in from,
-- and when last: what "a network not seen in 90 days" is checked against.
CREATE TABLE account_networks (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, network)
);

-- One row per alert mailed: the sign-in it is about (its session, address
-- and browser) and the "This wasn't me" link's SHA-256. used_at: the link
-- was followed (it acts once); ended_all_at and reset_sent_at: the two
-- offers of the page it opens, each taken at most once.
CREATE TABLE sign_in_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    ended_all_at INTEGER,
    reset_sent_at INTEGER
);
CREATE INDEX sign_in_alerts_by_account ON sign_in_alerts(account_id);

-- The mail log: whose account a queued mail is about (NULL for mail to
-- nobody's account). Subject, address and times stay; bodies are blanked
-- once sent.
ALTER TABLE mail_queue ADD COLUMN account_id INTEGER;
CREATE INDEX mail_queue_by_account ON mail_queue(account_id, created_at);

-- When the owner said "Don't ask again" to the invitation to add a
-- passkey (shown on Login Security while the account has none).
ALTER TABLE accounts ADD COLUMN passkey_invite_dismissed_at INTEGER;

-- A name the owner gave a session ("Work laptop").
ALTER TABLE sessions ADD COLUMN name TEXT;

-- Protection: a PIN guards the reports of earlier days; entering it unlocks
-- them for one session for a while (reports_unlocked_until). Ending the
-- session ends the unlock with it; a new token (password change, 2FA change)
-- clears it. Each account has one IANA time zone: its days are the person's.
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

CREATE TABLE pins (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    pin_hash TEXT NOT NULL,
    set_at INTEGER NOT NULL
);

ALTER TABLE sessions ADD COLUMN reports_unlocked_until INTEGER;

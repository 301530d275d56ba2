-- Email verification. An address receives reset links and security notices
-- only once it is verified (email_verified_at set), and only one account can
-- hold an address verified; an unverified address may sit on several
-- accounts, so signing up with a registered address answers like a new one.
-- Accounts that exist now stay unverified (they see "Confirm your email
-- address" and keep working).
--
-- SQLite cannot drop a column's UNIQUE, so the table is rebuilt (SQLite's
-- documented procedure). The store runs migrations on a connection with
-- foreign keys OFF, or dropping the old table would cascade into sessions,
-- events and everything else that references accounts; it checks
-- PRAGMA foreign_key_check afterwards. A later migration that adds a column to
-- accounts needs no change here; one before this (0005, 0006) must be listed
-- in the copy below.
CREATE TABLE accounts_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER,
    email_verified_at INTEGER
);
INSERT INTO accounts_rebuilt (id, username, email, password_hash, created_at, password_changed_at)
    SELECT id, username, email, password_hash, created_at, password_changed_at FROM accounts;
-- Keep AUTOINCREMENT's high-water mark: a deleted account's id is never reused.
UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ('accounts', 'accounts_rebuilt'))
    WHERE name = 'accounts_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'accounts_rebuilt', seq FROM sqlite_sequence
    WHERE name = 'accounts' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'accounts_rebuilt');
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE UNIQUE INDEX accounts_verified_email ON accounts(email) WHERE email_verified_at IS NOT NULL;
CREATE INDEX accounts_by_email ON accounts(email);

-- Verification links. Only the SHA-256 of a link's token is stored, with the
-- address it was sent to. A link closes when it is used or a newer one is
-- sent; it also lapses at expires_at. At most one is open per account.
CREATE TABLE email_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    closed_at INTEGER,
    -- used | superseded
    closed_reason TEXT
);
CREATE UNIQUE INDEX email_verifications_one_open ON email_verifications(account_id) WHERE closed_at IS NULL;

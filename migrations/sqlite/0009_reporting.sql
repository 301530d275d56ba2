-- Reporting (issue 9): an account's campaigns and the calls to them.
-- Times are Unix seconds; money is integer cents; tags a comma-separated list.
-- A campaign's name is unique per account regardless of case: name_key is the
-- name in lower case (CampaignName::key), so the rule holds on both backends
-- without collations.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);

-- account_id repeats the campaign's, so a report reads one account's calls
-- through one index without a join.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    caller TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL CHECK (duration_secs >= 0),
    outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'missed', 'voicemail')),
    revenue_cents INTEGER,
    tags TEXT NOT NULL DEFAULT ''
);
-- A report reads every call of an account's range: the account index
-- carries what it adds up, so the table itself is never visited.
CREATE INDEX calls_by_account_time ON calls(account_id, started_at, campaign_id, outcome, duration_secs, revenue_cents);
CREATE INDEX calls_by_campaign_time ON calls(campaign_id, started_at);

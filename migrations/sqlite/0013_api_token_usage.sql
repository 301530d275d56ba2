-- API token usage: requests per token per UTC day (`day` = days since
-- 1970-01-01 UTC) and how many of them were refused with 429. Counted in
-- memory by each instance and added here about once a minute, so several
-- instances add up; never written per request. No foreign key: a count that
-- arrives after its token was removed is harmless and swept with the rest.
CREATE TABLE api_token_usage (
    token_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    limited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (token_id, day)
);
CREATE INDEX api_token_usage_by_day ON api_token_usage(day);
-- When the owner was mailed that the token expires within 7 days: once.
ALTER TABLE api_tokens ADD COLUMN expiry_warned_at INTEGER;

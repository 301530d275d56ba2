-- A second reminder on a token's last day (after the one 7 days before):
-- when it was sent, set once by the instance that sends it.
ALTER TABLE api_tokens ADD COLUMN last_day_warned_at BIGINT;

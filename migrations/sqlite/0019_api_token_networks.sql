-- Where each API token was used: its newest five networks (an IPv4
-- address, or an IPv6 /64), each with the last address and user agent seen
-- from it and when it was first and last seen. A request from a known
-- network updates its row; one from an unseen network inserts a row and
-- prunes the token's rows to the newest five in the same transaction, under
-- the token row's lock (networks_seen), so parallel requests never leave
-- more. Rows stay with a deleted token's row, like its other columns.
CREATE TABLE api_token_networks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    UNIQUE (token_id, network)
);
-- How many times a network the token had not been seen from was recorded
-- (the first use counts): the statement that adds one takes the row's lock.
ALTER TABLE api_tokens ADD COLUMN networks_seen INTEGER NOT NULL DEFAULT 0;
-- The networks a token may be used from, as CIDR ranges separated by
-- commas (IPv4 and IPv6, at most 20); empty: any network.
ALTER TABLE api_tokens ADD COLUMN allowed_networks TEXT NOT NULL DEFAULT '';

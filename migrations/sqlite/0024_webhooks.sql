-- Security-event webhooks for the account owner (Standard Webhooks).
--
-- webhook_endpoints: where an account's chosen events go. `events` is the
-- chosen types as ",sign_in,pin," (commas around each). The signing secret
-- is sealed with the secret key (it must be read to sign, so it cannot be a
-- hash); during a rotation the previous one signs too until
-- previous_until. failing_since: the first failed delivery since the last
-- success; a day of failures disables the endpoint (disabled_at).
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_until INTEGER,
    created_at INTEGER NOT NULL,
    failing_since INTEGER,
    disabled_at INTEGER
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints(account_id);

-- One delivery of one event to one endpoint: a durable queue with leases,
-- as mail_queue is (one sender per delivery across instances, at least
-- once, retried with backoff for a day). The payload holds no secret.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_attempt_at INTEGER,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    failed_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, created_at);

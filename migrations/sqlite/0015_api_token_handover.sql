-- A new API token waiting for the page that shows it once, when it was
-- made by a plain form post (JavaScript off): sealed by the secret box and
-- bound to the session, at most one per session, deleted by the page that
-- reads it or by the sweep after two minutes. In the database, not in one
-- instance's memory, so the page may land on any instance.
CREATE TABLE api_token_handover (
    session_id TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

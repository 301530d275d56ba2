-- Outgoing mail, queued in the same transaction as the change it describes
-- and sent by a background worker with retries, so a restart or a mail-server
-- outage loses nothing and never holds up a request. Times are Unix seconds.
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- send attempts started so far (a claim counts as one)
    attempts INTEGER NOT NULL DEFAULT 0,
    -- not sent before this time: now when queued, later after a failure
    next_attempt_at INTEGER NOT NULL,
    -- a worker has claimed the mail until then; if it dies mid-send the
    -- lease runs out and another attempt picks the mail up
    lease_until INTEGER,
    sent_at INTEGER,
    -- retries exhausted: nobody sends it again
    failed_at INTEGER,
    -- the transport's complaint of the last failed attempt, never the body
    last_error TEXT
);
CREATE INDEX mail_queue_due ON mail_queue(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- A pending 2FA enrolment belongs to the session that started it: only that
-- session sees its QR code and may confirm it (NULL once enabled).
ALTER TABLE totp_credentials ADD COLUMN enrolling_session_id TEXT;

-- A notice held back for a pending sign-in: "your password was entered but
-- the two-factor step was not completed". It is due (next_attempt_at) when
-- the step's window ends, and withdrawn if that session completes the step.
ALTER TABLE mail_queue ADD COLUMN held_for_session TEXT;
CREATE INDEX mail_queue_held ON mail_queue(held_for_session) WHERE held_for_session IS NOT NULL;

-- Queued mail bodies are sealed with the secret key (AES-256-GCM), so the
-- database never holds a usable reset link. body_id is a random id the
-- sealing is bound to (with the part and the recipient), so a sealed body
-- moved to another row or another address does not open. NULL: a mail queued
-- before this migration, whose bodies are still plain text (sent as they are;
-- `warden rotate-key` seals any still waiting).
ALTER TABLE mail_queue ADD COLUMN body_id TEXT;

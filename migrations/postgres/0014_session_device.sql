-- What Login Security shows of a session's device (browser, OS, type),
-- parsed from its User-Agent once, when the session starts, instead of on
-- every view. `device_parser` is the version of the parser that wrote them:
-- rows from an older parser (or from before this migration, NULL) are parsed
-- again from `user_agent` when read, so a better parser relabels them too.
ALTER TABLE sessions ADD COLUMN device_browser TEXT;
ALTER TABLE sessions ADD COLUMN device_os TEXT;
ALTER TABLE sessions ADD COLUMN device_type TEXT;
ALTER TABLE sessions ADD COLUMN device_parser BIGINT;
-- The retention sweep settles lapsed sessions of every account: it looks
-- only at sessions still marked active.
CREATE INDEX sessions_active ON sessions(last_active_at) WHERE ended_at IS NULL;

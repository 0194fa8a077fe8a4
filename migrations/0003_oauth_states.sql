-- OAuth states already spent by /oauth/callback: a state (and its cookie) starts at most one session.
-- Only a SHA-256 of the state is kept. A row is needed only while the state's cookie could still be
-- presented, so it expires with that cookie and is pruned after.
CREATE TABLE oauth_states_used (
  state_hash TEXT PRIMARY KEY,                  -- lowercase hex SHA-256 of the state
  expires_at TEXT NOT NULL                      -- UTC ISO-8601: when the state's cookie expires
);
CREATE INDEX oauth_states_used_expires ON oauth_states_used (expires_at);

-- Console credentials that a leaked cookie cannot turn into the token, and login limits that hold
-- against many addresses (docs/console.md). Sessions made before this migration end: their cookies
-- were MACs keyed with ADMIN_TOKEN, which is exactly what no browser may hold any more.

DROP TABLE admin_sessions;
CREATE TABLE admin_sessions (
  id_sha256   TEXT PRIMARY KEY,                 -- SHA-256 (hex) of the cookie's 256-bit random id; the id is not stored
  csrf        TEXT NOT NULL,                    -- 256-bit random, per session, sent only inside its pages
  operator    TEXT NOT NULL,                    -- the name typed at login, or the Access email
  access_id   TEXT,                             -- the Access identity it was opened under; re-checked on every request
  token_epoch TEXT NOT NULL,                    -- derived from ADMIN_TOKEN (HKDF): rotating the token ends every session
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- Failed-login budgets per bucket (an IPv4 address, an IPv6 /64, a trusted device, the unknown-address
-- bucket, and '*' for all of them together) per 15-minute window; the limit slides over the current and
-- the previous window. Older rows are pruned on every attempt, whatever their bucket.
DROP TABLE admin_login_failures;
CREATE TABLE admin_login_failures (
  bucket      TEXT NOT NULL,
  window_ms   INTEGER NOT NULL,                 -- epoch ms of the window's start
  count       INTEGER NOT NULL,
  PRIMARY KEY (bucket, window_ms)
);
CREATE INDEX admin_login_failures_window ON admin_login_failures (window_ms);

-- Browsers that logged in before: their failed logins count against the device, not the address, so
-- someone behind the operator's NAT cannot lock the operator out (a device cookie holds the random id).
CREATE TABLE admin_devices (
  id_sha256   TEXT PRIMARY KEY,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX admin_devices_expires ON admin_devices (expires_at);

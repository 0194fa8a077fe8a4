-- Placeholder so the D1 binding and migration path are real from day one; orders arrive in 0002.
CREATE TABLE IF NOT EXISTS schema_info (id INTEGER PRIMARY KEY CHECK (id = 1), created_at TEXT NOT NULL);
INSERT OR IGNORE INTO schema_info (id, created_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- Dashboard sign-in sessions. The cookie holds a random id; only its SHA-256 is stored here.
-- kind 'user': signed in with an API key (credential_id names it, so revoking the key ends the session).
-- kind 'admin': signed in with HEARTH_ADMIN_TOKEN (admin_token_hash: a changed token ends the session).
CREATE TABLE sessions (
  id_hash          TEXT PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('user', 'admin')),
  user_id          TEXT REFERENCES users(id) ON DELETE CASCADE,
  credential_id    TEXT,
  admin_token_hash TEXT,
  csrf             TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

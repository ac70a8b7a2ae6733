-- Failed logins for usernames that do not exist, counted exactly like real accounts' so that a
-- lock (and its Retry-After) never reveals whether an account exists.
CREATE TABLE unknown_login_attempts (
    username text PRIMARY KEY CHECK (length(username) <= 200),
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unknown_login_attempts_updated_idx ON unknown_login_attempts (updated_at);

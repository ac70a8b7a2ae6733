DROP TABLE rate_limit_counters;
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP FUNCTION audit_log_is_append_only();
DROP TABLE oauth_clients;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE organizations;

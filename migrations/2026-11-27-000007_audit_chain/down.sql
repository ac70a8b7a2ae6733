DROP FUNCTION audit_seal(integer);
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP FUNCTION audit_canonical(audit_log);
ALTER TABLE audit_log DROP COLUMN chain_seq, DROP COLUMN prev_hash, DROP COLUMN row_hash;

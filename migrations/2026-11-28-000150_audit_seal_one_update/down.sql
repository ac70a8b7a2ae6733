-- The one-statement-a-row sealing of 2026-11-27-000007.
CREATE OR REPLACE FUNCTION audit_seal(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
    sealed integer := 0;
    r audit_log;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('gongkai.audit_seal')) THEN
        RETURN 0;
    END IF;
    SELECT chain_seq, row_hash INTO last_seq, last_hash FROM audit_log
        WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    FOR r IN SELECT * FROM audit_log WHERE chain_seq IS NULL ORDER BY id LIMIT batch LOOP
        last_seq := last_seq + 1;
        UPDATE audit_log SET chain_seq = last_seq, prev_hash = last_hash,
            row_hash = sha256(last_hash || audit_canonical(r))
            WHERE id = r.id
            RETURNING row_hash INTO last_hash;
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END;
$$;

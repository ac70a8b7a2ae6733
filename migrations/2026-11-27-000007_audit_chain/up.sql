-- Hash-chained audit log (issue 10): rows are written as before, unsealed, by any number of
-- concurrent writers without a shared lock; a sealer then takes the committed unsealed rows in id
-- order and gives each its place in the chain (chain_seq), the hash of the previous sealed row and
-- its own hash, SHA-256(previous hash || canonical row). Sealing is the one change the table allows:
-- the seal columns, once, from empty; everything else stays refused by the trigger.
ALTER TABLE audit_log ADD COLUMN chain_seq bigint UNIQUE,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN row_hash bytea,
    ADD CONSTRAINT audit_log_seal_complete CHECK (
        (chain_seq IS NULL AND prev_hash IS NULL AND row_hash IS NULL)
        OR (chain_seq IS NOT NULL AND length(prev_hash) = 32 AND length(row_hash) = 32));
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE chain_seq IS NULL;

-- The row's content as hashed: every column but the seal, in a fixed text form.
CREATE FUNCTION audit_canonical(a audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT convert_to(concat_ws(E'\x1f',
        a.id::text,
        to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        a.actor_kind, coalesce(a.actor_id::text, ''), a.action, a.entity_type,
        coalesce(a.entity_id::text, ''), coalesce(a.request_id, ''),
        array_to_string(a.changed_fields, E'\x1e'), a.details::text), 'UTF8')
$$;

CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (NEW.id, NEW.occurred_at, NEW.actor_kind, NEW.actor_id, NEW.action, NEW.entity_type, NEW.entity_id,
            NEW.request_id, NEW.changed_fields, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor_kind, OLD.actor_id, OLD.action, OLD.entity_type, OLD.entity_id,
            OLD.request_id, OLD.changed_fields, OLD.details) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Seals up to `batch` rows; one sealer at a time (others return 0 at once). Returns the count.
CREATE FUNCTION audit_seal(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
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

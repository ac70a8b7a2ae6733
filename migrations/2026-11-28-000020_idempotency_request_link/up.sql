-- An Idempotency-Key claim remembers the request that made it (its request id, which every audit
-- row written on the request's behalf carries) and where the audit log stood when it was made.
-- A claim left without its answer — the server stopped between the request's commit and storing
-- the answer — can then tell a request that was carried out (audit rows after the mark with its
-- request id) from one that never got through, which alone may run again (issue 10, item 6).
ALTER TABLE idempotency_keys ADD COLUMN request_id text, ADD COLUMN audit_watermark bigint;

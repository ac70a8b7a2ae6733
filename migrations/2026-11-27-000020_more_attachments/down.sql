-- The records of the newer owners go (their bytes stay in the object store, unreferenced).
DELETE FROM attachments WHERE owner_type IN ('request_reply', 'opinion_release', 'consultation');
ALTER TABLE attachments DROP CONSTRAINT attachments_owner_type_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_type_check
    CHECK (owner_type IN ('document', 'interpretation'));

-- Attachments beyond documents and interpretations: the files given with a disclosure request's
-- reply (owner_id: the request, whose reply row shares its id), the files of an opinion release
-- and those of a consultation.
ALTER TABLE attachments DROP CONSTRAINT attachments_owner_type_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_owner_type_check
    CHECK (owner_type IN ('document', 'interpretation', 'request_reply', 'opinion_release', 'consultation'));

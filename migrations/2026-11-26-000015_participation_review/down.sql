ALTER TABLE open_days DROP CONSTRAINT open_days_cancellation_check, DROP COLUMN cancellation_reason,
    DROP COLUMN cancelled_at, DROP COLUMN updated_at, DROP COLUMN version;
DROP INDEX public_messages_published_idx;
CREATE INDEX public_messages_published_idx ON public_messages (id) WHERE status = 'replied' AND publish_consent;
ALTER TABLE public_messages DROP CONSTRAINT public_messages_publication_check, DROP COLUMN published_by,
    DROP COLUMN published_at, DROP COLUMN published_reply, DROP COLUMN published_body, DROP COLUMN published_subject;
ALTER TABLE consultation_comments DROP COLUMN name_withheld, DROP COLUMN publish_name;
ALTER TABLE consultations DROP COLUMN early_close_reason;

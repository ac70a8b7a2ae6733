-- Review of the participation work (issue 5): closing a consultation before its period ends needs
-- a reason; a commenter's name is public only with consent and moderation can withhold it; a
-- message goes public only by an officer's decision, with texts the officer may redact; open days
-- can be edited and cancelled.
ALTER TABLE consultations ADD COLUMN early_close_reason text;

ALTER TABLE consultation_comments
    ADD COLUMN publish_name boolean NOT NULL DEFAULT false,
    ADD COLUMN name_withheld boolean NOT NULL DEFAULT false;

ALTER TABLE public_messages
    ADD COLUMN published_subject text,
    ADD COLUMN published_body text,
    ADD COLUMN published_reply text,
    ADD COLUMN published_at timestamptz,
    ADD COLUMN published_by uuid REFERENCES users (id),
    ADD CONSTRAINT public_messages_publication_check CHECK (published_at IS NULL OR (publish_consent
        AND status = 'replied' AND published_subject IS NOT NULL AND published_body IS NOT NULL
        AND published_reply IS NOT NULL));
DROP INDEX public_messages_published_idx;
CREATE INDEX public_messages_published_idx ON public_messages (id) WHERE published_at IS NOT NULL;

ALTER TABLE open_days
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancellation_reason text,
    ADD CONSTRAINT open_days_cancellation_check CHECK ((cancelled_at IS NULL) = (cancellation_reason IS NULL));

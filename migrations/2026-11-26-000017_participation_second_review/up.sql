-- Second review of the participation work: a message keeps the working days it was given, so a
-- calendar change moves its due date without the current setting changing it; moderation can
-- withhold a comment's clause reference, which is free text and may carry personal data.
ALTER TABLE public_messages ADD COLUMN reply_working_days integer NOT NULL DEFAULT 10
    CHECK (reply_working_days BETWEEN 1 AND 60);
UPDATE public_messages SET reply_working_days = (SELECT message_reply_working_days FROM participation_settings);
ALTER TABLE consultation_comments ADD COLUMN clause_ref_withheld boolean NOT NULL DEFAULT false;

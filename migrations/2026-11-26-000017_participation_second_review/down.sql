ALTER TABLE consultation_comments DROP COLUMN clause_ref_withheld;
ALTER TABLE public_messages DROP COLUMN reply_working_days;

ALTER TABLE interpretations
    DROP COLUMN secrecy_review_passed,
    DROP COLUMN secrecy_reviewed_at,
    DROP COLUMN secrecy_reviewed_by;

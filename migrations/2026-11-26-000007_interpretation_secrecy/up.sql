-- A follow-up interpretation is published on its own, so it needs its own confidentiality review
-- (P1); the initial package is published with its document, under the document's review.
ALTER TABLE interpretations
    ADD COLUMN secrecy_reviewed_by uuid REFERENCES users (id),
    ADD COLUMN secrecy_reviewed_at timestamptz,
    ADD COLUMN secrecy_review_passed boolean;

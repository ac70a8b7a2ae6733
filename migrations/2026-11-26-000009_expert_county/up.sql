-- Each county keeps its own expert pool; a system administrator may add deployment-wide experts
-- (county_id NULL) whom every county may invite.
ALTER TABLE experts ADD COLUMN county_id uuid REFERENCES organizations (id);
CREATE INDEX experts_county_idx ON experts (county_id, id);

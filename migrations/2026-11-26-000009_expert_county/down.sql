DROP INDEX experts_county_idx;
ALTER TABLE experts DROP COLUMN county_id;

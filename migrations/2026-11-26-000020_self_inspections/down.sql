DROP TABLE self_inspection_items;
DROP TABLE self_inspections;
ALTER TABLE documents DROP COLUMN publish_clock_from;

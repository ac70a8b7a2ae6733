ALTER TABLE documents DROP COLUMN publish_due_provisional;

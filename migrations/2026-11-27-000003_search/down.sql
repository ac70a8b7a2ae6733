DROP INDEX interpretations_search_idx;
ALTER TABLE interpretations DROP COLUMN search_all, DROP COLUMN search_title;
DROP INDEX documents_search_idx;
ALTER TABLE documents DROP COLUMN search_all, DROP COLUMN search_title;
DROP FUNCTION search_terms(text);

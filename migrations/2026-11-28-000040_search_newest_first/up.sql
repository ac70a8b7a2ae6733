-- Search without ranking every match (issue 11): title hits first, then the other hits, each
-- newest first. The title query needs its own GIN index (for rare words), and interpretations
-- their newest-first index (for common ones); documents have documents_public_idx.
CREATE INDEX documents_search_title_idx ON documents USING gin (search_title);
CREATE INDEX interpretations_search_title_idx ON interpretations USING gin (search_title);
CREATE INDEX interpretations_published_idx ON interpretations (published_at DESC, id DESC) WHERE status = 'published';

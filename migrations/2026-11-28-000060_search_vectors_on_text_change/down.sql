DROP TRIGGER interpretations_search_vectors ON interpretations;
DROP FUNCTION interpretations_search_vectors();
DROP TRIGGER documents_search_vectors ON documents;
DROP FUNCTION documents_search_vectors();
CREATE OR REPLACE FUNCTION search_terms(input text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(t.term, ' ' ORDER BY m.ord, t.pos), '')
    FROM regexp_matches(normalize(left(coalesce(input, ''), 16000), NFKC),
                        '[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+', 'g')
        WITH ORDINALITY AS m(parts, ord)
    CROSS JOIN LATERAL (SELECT m.parts[1] ~ '^[A-Za-z0-9]' AS ascii) f
    CROSS JOIN LATERAL (
        SELECT u.i AS pos,
               CASE WHEN f.ascii THEN lower(u.ch) ELSE u.ch || coalesce(lead(u.ch) OVER (ORDER BY u.i), '') END AS term
        FROM unnest(CASE WHEN f.ascii THEN ARRAY[m.parts[1]] ELSE string_to_array(m.parts[1], NULL) END)
            WITH ORDINALITY AS u(ch, i)
    ) t
$$;
-- Back to generated columns (dropping a column drops its indexes; they are rebuilt).
ALTER TABLE documents DROP COLUMN search_title, DROP COLUMN search_all;
ALTER TABLE documents
    ADD COLUMN search_title tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(title))) STORED,
    ADD COLUMN search_all tsvector GENERATED ALWAYS AS
        (to_tsvector('simple', search_terms(title || ' ' || coalesce(doc_number, '') || ' ' || body))) STORED;
CREATE INDEX documents_search_idx ON documents USING gin (search_all);
CREATE INDEX documents_search_title_idx ON documents USING gin (search_title);
ALTER TABLE interpretations DROP COLUMN search_title, DROP COLUMN search_all;
ALTER TABLE interpretations
    ADD COLUMN search_title tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(title))) STORED,
    ADD COLUMN search_all tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(
        title || ' ' || coalesce(background_basis, '') || ' ' || coalesce(objectives, '') || ' '
        || coalesce(main_content, '') || ' ' || coalesce(scope, '') || ' ' || coalesce(standards, '') || ' '
        || coalesce(notes, '') || ' ' || coalesce(key_terms, '') || ' ' || coalesce(benefits, '') || ' '
        || coalesce(changes, '')))) STORED;
CREATE INDEX interpretations_search_idx ON interpretations USING gin (search_all);
CREATE INDEX interpretations_search_title_idx ON interpretations USING gin (search_title);

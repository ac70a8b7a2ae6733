-- Chinese full-text search in PostgreSQL alone (issue 9): text is indexed as the overlapping
-- bigrams of its CJK runs plus lower-cased ASCII words and numbers, so that two-character words
-- (扶贫, 低保, 医保) are found without a dictionary. The query side is domain::search.
CREATE FUNCTION search_terms(input text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(t.term, ' ' ORDER BY m.ord, t.pos), '')
    FROM regexp_matches(coalesce(input, ''), '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+', 'g')
        WITH ORDINALITY AS m(parts, ord)
    CROSS JOIN LATERAL (
        SELECT p.pos,
               CASE WHEN m.parts[1] ~ '^[A-Za-z0-9]' THEN lower(m.parts[1])
                    WHEN length(m.parts[1]) = 1 THEN m.parts[1]
                    ELSE substr(m.parts[1], p.pos, 2) END AS term
        FROM generate_series(1, CASE WHEN m.parts[1] ~ '^[A-Za-z0-9]' OR length(m.parts[1]) = 1 THEN 1
                                     ELSE length(m.parts[1]) - 1 END) AS p(pos)
    ) t
$$;

-- Generated, so that no write path can forget to index: the title alone ranks title hits first.
ALTER TABLE documents
    ADD COLUMN search_title tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(title))) STORED,
    ADD COLUMN search_all tsvector GENERATED ALWAYS AS
        (to_tsvector('simple', search_terms(title || ' ' || coalesce(doc_number, '') || ' ' || body))) STORED;
-- One index serves the public search (filtered to public documents) and the staff search.
CREATE INDEX documents_search_idx ON documents USING gin (search_all);

ALTER TABLE interpretations
    ADD COLUMN search_title tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(title))) STORED,
    ADD COLUMN search_all tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_terms(
        title || ' ' || coalesce(background_basis, '') || ' ' || coalesce(objectives, '') || ' '
        || coalesce(main_content, '') || ' ' || coalesce(scope, '') || ' ' || coalesce(standards, '') || ' '
        || coalesce(notes, '') || ' ' || coalesce(key_terms, '') || ' ' || coalesce(benefits, '') || ' '
        || coalesce(changes, '')))) STORED;
CREATE INDEX interpretations_search_idx ON interpretations USING gin (search_all);

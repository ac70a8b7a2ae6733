-- Chinese full-text search in PostgreSQL alone (issue 9): text is indexed as the overlapping
-- bigrams of its CJK runs plus lower-cased ASCII words and numbers, so that two-character words
-- (扶贫, 低保, 医保) are found without a dictionary. The query side is domain::search.
-- Linear in the text: characters are unnested and paired with lead(), never indexed by position
-- (array subscripts on text are linear, which made long runs quadratic). Only the first 16,000
-- characters count (tsvector positions stop at 16,383 and a tsvector at 1 MB); NFKC folds
-- full-width digits and letters and compatibility ideographs; each run's last character is kept
-- alone too, so that a one-character query finds 县 at the end of 元谋县.
CREATE FUNCTION search_terms(input text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
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

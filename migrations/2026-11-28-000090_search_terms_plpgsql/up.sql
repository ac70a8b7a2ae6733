-- Issue 11: search_terms() was a LANGUAGE sql function. Called from the search-vector triggers
-- (PL/pgSQL), a SQL function is never inlined, so PostgreSQL parsed and planned its body on every
-- call: twice per document written, 0.08 ms of planning besides 0.30 ms of execution each
-- (pg_stat_statements, bench lifecycle). As PL/pgSQL, the same SELECT is planned once per session
-- and its plan kept. The body and its output are unchanged (tests/tests/e2e/public_page.rs
-- compares it with the original).
CREATE OR REPLACE FUNCTION search_terms(input text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (
        SELECT coalesce(string_agg(t.term, ' ' ORDER BY m.ord, t.pos), '')
        FROM regexp_matches(normalize(left(coalesce(input, ''), 16000), NFKC),
                            '[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+', 'g')
            WITH ORDINALITY AS m(parts, ord)
        CROSS JOIN LATERAL (
            SELECT 1::bigint AS pos, lower(m.parts[1]) AS term WHERE m.parts[1] ~ '^[A-Za-z0-9]'
            UNION ALL
            SELECT u.i, u.ch || coalesce(u.next, '')
            FROM unnest(string_to_array(m.parts[1], NULL), string_to_array(substr(m.parts[1], 2), NULL))
                WITH ORDINALITY AS u(ch, next, i)
            WHERE m.parts[1] !~ '^[A-Za-z0-9]'
        ) t
    );
END
$$;

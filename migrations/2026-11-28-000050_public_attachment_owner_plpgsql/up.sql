-- The same test in PL/pgSQL (issue 11): a SQL function whose body holds sub-SELECTs is never
-- inlined, so PostgreSQL parsed and planned its body again in every statement that called it
-- (base_yyparse in the get profile); PL/pgSQL keeps each of its queries' plans for the session.
CREATE OR REPLACE FUNCTION public_attachment_owner(owner_type text, owner_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
#variable_conflict use_variable
BEGIN
    CASE owner_type
        WHEN 'document' THEN RETURN EXISTS (
            SELECT 1 FROM documents d
            WHERE d.id = owner_id AND d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'));
        WHEN 'interpretation' THEN RETURN EXISTS (
            SELECT 1 FROM interpretations i JOIN documents d ON d.id = i.document_id
            WHERE i.id = owner_id AND i.status = 'published'
              AND d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'));
        WHEN 'opinion_release' THEN RETURN EXISTS (SELECT 1 FROM opinion_releases r WHERE r.id = owner_id);
        WHEN 'consultation' THEN RETURN EXISTS (
            SELECT 1 FROM consultations c WHERE c.id = owner_id AND c.status <> 'draft');
        ELSE RETURN false;
    END CASE;
END
$$;

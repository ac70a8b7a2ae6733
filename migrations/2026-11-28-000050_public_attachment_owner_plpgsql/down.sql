CREATE OR REPLACE FUNCTION public_attachment_owner(owner_type text, owner_id uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE owner_type
        WHEN 'document' THEN EXISTS (
            SELECT 1 FROM documents d
            WHERE d.id = owner_id AND d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'))
        WHEN 'interpretation' THEN EXISTS (
            SELECT 1 FROM interpretations i JOIN documents d ON d.id = i.document_id
            WHERE i.id = owner_id AND i.status = 'published'
              AND d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'))
        WHEN 'opinion_release' THEN EXISTS (SELECT 1 FROM opinion_releases r WHERE r.id = owner_id)
        WHEN 'consultation' THEN EXISTS (
            SELECT 1 FROM consultations c WHERE c.id = owner_id AND c.status <> 'draft')
        ELSE false
    END
$$;

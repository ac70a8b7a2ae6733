DROP TRIGGER interpretations_refresh_page_extras ON interpretations;
DROP TRIGGER attachments_refresh_page_extras ON attachments;
DROP FUNCTION interpretations_refresh_page_extras();
DROP FUNCTION attachments_refresh_page_extras();
DROP FUNCTION refresh_document_page_extras(uuid);
DROP FUNCTION document_page_extras_of(uuid);
DROP TABLE document_page_extras;

CREATE FUNCTION public_document_extras(doc_id uuid, doc_status text, doc_disclosure text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
#variable_conflict use_variable
DECLARE
    files json;
    published json;
BEGIN
    IF doc_status IS DISTINCT FROM 'published' OR doc_disclosure NOT IN ('public_release', 'proactive')
       OR doc_disclosure IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT
        (SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'media_type', a.media_type,
                                           'size_bytes', a.size_bytes, 'sha256', a.sha256) ORDER BY a.id)
         FROM attachments a WHERE a.owner_type = 'document' AND a.owner_id = doc_id),
        (SELECT json_agg(json_build_object(
                    'id', i.id, 'stage', i.stage, 'title', i.title, 'forms', i.forms,
                    'background_basis', i.background_basis, 'objectives', i.objectives,
                    'main_content', i.main_content, 'scope', i.scope, 'standards', i.standards,
                    'notes', i.notes, 'key_terms', i.key_terms, 'benefits', i.benefits, 'changes', i.changes,
                    'published_at', i.published_at,
                    'attachments', coalesce((
                        SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename,
                                                          'media_type', a.media_type, 'size_bytes', a.size_bytes,
                                                          'sha256', a.sha256) ORDER BY a.id)
                        FROM attachments a WHERE a.owner_type = 'interpretation' AND a.owner_id = i.id), '[]'::json))
                ORDER BY i.id)
         FROM interpretations i WHERE i.document_id = doc_id AND i.status = 'published')
        INTO files, published;
    IF files IS NULL AND published IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN json_build_object('attachments', coalesce(files, '[]'::json),
                             'interpretations', coalesce(published, '[]'::json))::text;
END
$$;

-- Issue 11: what the public page of a document shows besides its row (its files, its published
-- interpretations with theirs) is kept per document, written when those rows change, instead of
-- computed by public_document_extras() on every get. The function cost most of a get's database
-- time (pgbench on the get's statement: 16,700 tps with it, 23,400 with this table, 26,600 for
-- the document's row alone). A document without files or published interpretations has no row
-- here, or a row whose extras are NULL.
-- No foreign key: its check would take a KEY SHARE lock on the document, and an upload to a
-- package locks only the package, while other acts lock the document and then the package (a
-- deadlock). Documents are never deleted, and the page reads this row only for a document row
-- it has already selected as public; the row holds draft documents' file names too, so any
-- other reader must do the same.
CREATE TABLE document_page_extras (
    document_id uuid PRIMARY KEY,
    -- {"attachments": [...], "interpretations": [...]} as public_document_extras() returned it.
    extras text
);

-- The extras of a document from the rows as they are. Whether the document itself is public is
-- the reader's test, on the document's row.
CREATE FUNCTION document_page_extras_of(doc_id uuid) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
#variable_conflict use_variable
DECLARE
    files json;
    published json;
BEGIN
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

-- Rewrites the kept extras of one document. Two transactions changing the same document's files
-- must not each write what its own snapshot saw (the later would drop the earlier's file): the
-- row is locked first (the upsert already waits for another transaction writing it; the FOR
-- UPDATE says so outright), and the extras are read by a later statement, whose snapshot (READ
-- COMMITTED) includes what the lock waited for. The triggers run it at commit (deferred), when
-- the transaction holds every other lock it will take, so this lock cannot close a cycle with
-- the acts' own row locks.
CREATE FUNCTION refresh_document_page_extras(doc_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN
    IF doc_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO document_page_extras (document_id) VALUES (doc_id) ON CONFLICT (document_id) DO NOTHING;
    PERFORM 1 FROM document_page_extras WHERE document_id = doc_id FOR UPDATE;
    UPDATE document_page_extras SET extras = document_page_extras_of(doc_id) WHERE document_id = doc_id;
END
$$;

CREATE FUNCTION attachments_refresh_page_extras() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed attachments;
BEGIN
    FOREACH changed IN ARRAY ARRAY[OLD, NEW] LOOP
        CONTINUE WHEN changed IS NULL;
        IF changed.owner_type = 'document' THEN
            PERFORM refresh_document_page_extras(changed.owner_id);
        ELSIF changed.owner_type = 'interpretation' THEN
            -- Whatever the interpretation's status: one being published meanwhile by another
            -- transaction would not see this file (the lock orders the two).
            PERFORM refresh_document_page_extras(
                (SELECT i.document_id FROM interpretations i WHERE i.id = changed.owner_id));
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER attachments_refresh_page_extras AFTER INSERT OR UPDATE OR DELETE ON attachments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION attachments_refresh_page_extras();

-- Only a published interpretation is on the page: changes to drafts leave it as it is.
CREATE FUNCTION interpretations_refresh_page_extras() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'published' THEN
        PERFORM refresh_document_page_extras(OLD.document_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published'
       AND (TG_OP = 'INSERT' OR OLD.status <> 'published' OR OLD.document_id <> NEW.document_id) THEN
        PERFORM refresh_document_page_extras(NEW.document_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER interpretations_refresh_page_extras AFTER INSERT OR UPDATE OR DELETE ON interpretations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION interpretations_refresh_page_extras();

INSERT INTO document_page_extras (document_id, extras)
SELECT s.id, s.extras FROM (SELECT d.id, document_page_extras_of(d.id) AS extras FROM documents d) s
WHERE s.extras IS NOT NULL;

DROP FUNCTION public_document_extras(uuid, text, text);

ALTER TABLE documents ADD COLUMN search_all tsvector;
ALTER TABLE interpretations ADD COLUMN search_all tsvector;

-- Copied back while the row's own trigger still leaves search_all alone (it is replaced below);
-- the other triggers that fire on a change of search_all alone leave their tables as they were.
UPDATE documents d SET search_all = v.search_all FROM document_text_vectors v WHERE v.id = d.id;
UPDATE interpretations i SET search_all = v.search_all FROM interpretation_text_vectors v WHERE v.id = i.id;
-- The deferred outbox triggers queued by those UPDATEs (they add nothing) fire now: CREATE INDEX
-- refuses a table with pending trigger events.
SET CONSTRAINTS ALL IMMEDIATE;

-- The row's own trigger computes both vectors again (migration 2026-11-28-000060).
CREATE OR REPLACE FUNCTION documents_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
       OR NEW.doc_number IS DISTINCT FROM OLD.doc_number OR NEW.body IS DISTINCT FROM OLD.body THEN
        NEW.search_title := to_tsvector('simple', search_terms(NEW.title));
        NEW.search_all := to_tsvector('simple',
            search_terms(NEW.title || ' ' || coalesce(NEW.doc_number, '') || ' ' || NEW.body));
    ELSE
        NEW.search_title := OLD.search_title;
        NEW.search_all := OLD.search_all;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION interpretations_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
       OR NEW.background_basis IS DISTINCT FROM OLD.background_basis
       OR NEW.objectives IS DISTINCT FROM OLD.objectives
       OR NEW.main_content IS DISTINCT FROM OLD.main_content
       OR NEW.scope IS DISTINCT FROM OLD.scope
       OR NEW.standards IS DISTINCT FROM OLD.standards
       OR NEW.notes IS DISTINCT FROM OLD.notes
       OR NEW.key_terms IS DISTINCT FROM OLD.key_terms
       OR NEW.benefits IS DISTINCT FROM OLD.benefits
       OR NEW.changes IS DISTINCT FROM OLD.changes THEN
        NEW.search_title := to_tsvector('simple', search_terms(NEW.title));
        NEW.search_all := to_tsvector('simple', search_terms(
            NEW.title || ' ' || coalesce(NEW.background_basis, '') || ' ' || coalesce(NEW.objectives, '') || ' '
            || coalesce(NEW.main_content, '') || ' ' || coalesce(NEW.scope, '') || ' ' || coalesce(NEW.standards, '') || ' '
            || coalesce(NEW.notes, '') || ' ' || coalesce(NEW.key_terms, '') || ' ' || coalesce(NEW.benefits, '') || ' '
            || coalesce(NEW.changes, '')));
    ELSE
        NEW.search_title := OLD.search_title;
        NEW.search_all := OLD.search_all;
    END IF;
    RETURN NEW;
END
$$;

CREATE INDEX documents_search_idx ON documents USING gin (search_all);
CREATE INDEX interpretations_search_idx ON interpretations USING gin (search_all);

DROP TRIGGER interpretations_text_vectors_update ON interpretations;
DROP TRIGGER interpretations_text_vectors_insert ON interpretations;
DROP TRIGGER documents_text_vectors_update ON documents;
DROP TRIGGER documents_text_vectors_insert ON documents;
DROP FUNCTION text_vectors_touch();
DROP TABLE interpretation_text_vectors;
DROP FUNCTION interpretation_text_vectors_compute();
DROP TABLE document_text_vectors;
DROP FUNCTION text_vectors_keep();
DROP FUNCTION document_text_vectors_compute();

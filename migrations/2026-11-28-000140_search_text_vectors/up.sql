-- Issue 11: every step of a document's life changes `status`, which indexes name, so each
-- UPDATE wrote a new row version and new entries in every index of the row, the whole-text GIN
-- index's hundreds of terms among them, although the text had not changed. Measured with
-- pgbench, 8 clients flipping `status` on 20,000 published rows: 3,664 tps with both GIN
-- indexes, 9,995 with the title's alone. The whole-text vector now lives in a table of its own,
-- written only when the text changes; the search joins it.
--
-- A row's vector is always computed from its document's (interpretation's) current text: a
-- trigger on the side table reads the text, so a direct write cannot set anything else, as
-- before (the generated column, then the trigger on the row itself), and a row cannot be deleted
-- or moved to another id while its document exists. The document's trigger fires only when a
-- searched column changes and only asks for the row to be computed.

-- Writes to both tables wait until the triggers are in place, so that the copy below misses
-- nothing (reads go on).
LOCK TABLE documents, interpretations IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE document_text_vectors (
    id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE ON UPDATE CASCADE,
    search_all tsvector NOT NULL
);
CREATE TABLE interpretation_text_vectors (
    id uuid PRIMARY KEY REFERENCES interpretations (id) ON DELETE CASCADE ON UPDATE CASCADE,
    search_all tsvector NOT NULL
);

-- The vectors already computed are copied, not computed again (every row's equals what its
-- text gives: tests/tests/e2e/public_page.rs holds that), before the triggers exist.
INSERT INTO document_text_vectors (id, search_all)
SELECT id, search_all FROM documents WHERE search_all IS NOT NULL;
INSERT INTO interpretation_text_vectors (id, search_all)
SELECT id, search_all FROM interpretations WHERE search_all IS NOT NULL;
CREATE INDEX document_text_vectors_search_idx ON document_text_vectors USING gin (search_all);
CREATE INDEX interpretation_text_vectors_search_idx ON interpretation_text_vectors USING gin (search_all);

CREATE FUNCTION document_text_vectors_compute() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    searched text;
BEGIN
    SELECT d.title || ' ' || coalesce(d.doc_number, '') || ' ' || d.body INTO searched
    FROM documents d WHERE d.id = NEW.id;
    -- No such document: the foreign key refuses the row.
    NEW.search_all := to_tsvector('simple', search_terms(coalesce(searched, '')));
    RETURN NEW;
END
$$;
CREATE TRIGGER document_text_vectors_compute BEFORE INSERT OR UPDATE ON document_text_vectors
    FOR EACH ROW EXECUTE FUNCTION document_text_vectors_compute();

CREATE FUNCTION interpretation_text_vectors_compute() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    searched text;
BEGIN
    SELECT i.title || ' ' || coalesce(i.background_basis, '') || ' ' || coalesce(i.objectives, '') || ' '
        || coalesce(i.main_content, '') || ' ' || coalesce(i.scope, '') || ' ' || coalesce(i.standards, '') || ' '
        || coalesce(i.notes, '') || ' ' || coalesce(i.key_terms, '') || ' ' || coalesce(i.benefits, '') || ' '
        || coalesce(i.changes, '') INTO searched
    FROM interpretations i WHERE i.id = NEW.id;
    NEW.search_all := to_tsvector('simple', search_terms(coalesce(searched, '')));
    RETURN NEW;
END
$$;
CREATE TRIGGER interpretation_text_vectors_compute BEFORE INSERT OR UPDATE ON interpretation_text_vectors
    FOR EACH ROW EXECUTE FUNCTION interpretation_text_vectors_compute();

-- Only the foreign key's cascades, which run once the document's (interpretation's) row is gone
-- or renamed, may delete a row or change its id.
CREATE FUNCTION text_vectors_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF (TG_TABLE_NAME = 'document_text_vectors' AND EXISTS (SELECT 1 FROM documents WHERE id = OLD.id))
       OR (TG_TABLE_NAME = 'interpretation_text_vectors' AND EXISTS (SELECT 1 FROM interpretations WHERE id = OLD.id)) THEN
        RAISE EXCEPTION 'the whole-text vector of % follows its text: it cannot be deleted or moved', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER document_text_vectors_keep BEFORE DELETE OR UPDATE OF id ON document_text_vectors
    FOR EACH ROW EXECUTE FUNCTION text_vectors_keep();
CREATE TRIGGER interpretation_text_vectors_keep BEFORE DELETE OR UPDATE OF id ON interpretation_text_vectors
    FOR EACH ROW EXECUTE FUNCTION text_vectors_keep();

-- Asks for the row's vector; the side table's trigger computes it (the empty vector written here
-- never stays). A row inserted without triggers has none until its text changes.
--
-- An UPDATE where the row exists, else an INSERT: an INSERT … ON CONFLICT DO UPDATE would fire
-- both the side table's INSERT and UPDATE triggers and compute the vector twice. The document's
-- (interpretation's) row is locked by the statement that fired this, so no other transaction
-- adds the row meanwhile.
CREATE FUNCTION text_vectors_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'documents' THEN
        IF TG_OP = 'UPDATE' THEN
            UPDATE document_text_vectors SET search_all = ''::tsvector WHERE id = NEW.id;
        END IF;
        IF TG_OP = 'INSERT' OR NOT FOUND THEN
            INSERT INTO document_text_vectors (id, search_all) VALUES (NEW.id, ''::tsvector);
        END IF;
    ELSE
        IF TG_OP = 'UPDATE' THEN
            UPDATE interpretation_text_vectors SET search_all = ''::tsvector WHERE id = NEW.id;
        END IF;
        IF TG_OP = 'INSERT' OR NOT FOUND THEN
            INSERT INTO interpretation_text_vectors (id, search_all) VALUES (NEW.id, ''::tsvector);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER documents_text_vectors_insert AFTER INSERT ON documents
    FOR EACH ROW EXECUTE FUNCTION text_vectors_touch();
CREATE TRIGGER documents_text_vectors_update AFTER UPDATE ON documents
    FOR EACH ROW WHEN (NEW.title IS DISTINCT FROM OLD.title OR NEW.doc_number IS DISTINCT FROM OLD.doc_number
        OR NEW.body IS DISTINCT FROM OLD.body)
    EXECUTE FUNCTION text_vectors_touch();

CREATE TRIGGER interpretations_text_vectors_insert AFTER INSERT ON interpretations
    FOR EACH ROW EXECUTE FUNCTION text_vectors_touch();
CREATE TRIGGER interpretations_text_vectors_update AFTER UPDATE ON interpretations
    FOR EACH ROW WHEN (NEW.title IS DISTINCT FROM OLD.title
        OR NEW.background_basis IS DISTINCT FROM OLD.background_basis
        OR NEW.objectives IS DISTINCT FROM OLD.objectives
        OR NEW.main_content IS DISTINCT FROM OLD.main_content
        OR NEW.scope IS DISTINCT FROM OLD.scope
        OR NEW.standards IS DISTINCT FROM OLD.standards
        OR NEW.notes IS DISTINCT FROM OLD.notes
        OR NEW.key_terms IS DISTINCT FROM OLD.key_terms
        OR NEW.benefits IS DISTINCT FROM OLD.benefits
        OR NEW.changes IS DISTINCT FROM OLD.changes)
    EXECUTE FUNCTION text_vectors_touch();

-- The row's own trigger now computes the title's vector alone.
CREATE OR REPLACE FUNCTION documents_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title THEN
        NEW.search_title := to_tsvector('simple', search_terms(NEW.title));
    ELSE
        NEW.search_title := OLD.search_title;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION interpretations_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title THEN
        NEW.search_title := to_tsvector('simple', search_terms(NEW.title));
    ELSE
        NEW.search_title := OLD.search_title;
    END IF;
    RETURN NEW;
END
$$;

-- Dropping the columns drops their GIN indexes.
ALTER TABLE documents DROP COLUMN search_all;
ALTER TABLE interpretations DROP COLUMN search_all;

ANALYZE document_text_vectors;
ANALYZE interpretation_text_vectors;

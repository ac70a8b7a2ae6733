-- Issue 11: the public document list, kept as PostgreSQL writes it. The list read 51 documents'
-- rows (one heap page each) and sent thirteen columns of each, which the service decoded and
-- wrote out as JSON again on every request: about 2.7 µs a row of the two processes' CPU, as much
-- as the rest of the request. Here each public document has one narrow row holding its list item
-- as JSON text, written when the document changes, and the list sends those texts as they are.
--
-- A row exists exactly while its document is published with a public attribute (the triggers
-- below, in the document's own transaction), so the list reads nothing else by construction. The
-- filter columns repeat the document's (the list filters by organization, category, the year
-- formed and the title).

-- The JSON a date or a time is written as by the service (api::http::json_time): `YYYY-MM-DD`,
-- and `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z` in UTC with as many fraction digits as needed in steps
-- of three. NULL where the service writes another form (a year outside 1-9999, an infinite
-- value), and such a document's item is left to the service.
CREATE FUNCTION json_date(d date) RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    IF d IS NULL THEN
        RETURN 'null';
    END IF;
    IF NOT isfinite(d) OR extract(year FROM d) NOT BETWEEN 1 AND 9999 THEN
        RETURN NULL;
    END IF;
    -- As a timestamp without time zone: to_char of a date alone would take it as midnight in the
    -- session's time zone, another day in a zone that skipped one (Pacific/Apia, 2011-12-30).
    RETURN '"' || to_char(d::timestamp, 'YYYY-MM-DD') || '"';
END
$$;

CREATE FUNCTION json_timestamp(t timestamptz) RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    utc timestamp;
    micros bigint;
BEGIN
    IF t IS NULL THEN
        RETURN 'null';
    END IF;
    IF NOT isfinite(t) THEN
        RETURN NULL;
    END IF;
    utc := t AT TIME ZONE 'UTC';
    IF extract(year FROM utc) NOT BETWEEN 1 AND 9999 THEN
        RETURN NULL;
    END IF;
    micros := extract(microseconds FROM utc)::bigint % 1000000;
    RETURN '"' || to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN micros = 0 THEN ''
                WHEN micros % 1000 = 0 THEN '.' || to_char(micros / 1000, 'FM000')
                ELSE '.' || to_char(micros, 'FM000000') END
        || 'Z"';
END
$$;

-- A public document's list item, byte for byte as the service writes PublicDocumentSummary
-- (field order, no spaces, strings escaped as serde_json escapes them; e2e test public_list.rs
-- compares the two). NULL when a date cannot be written here.
CREATE FUNCTION public_document_summary(d documents) RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN '{"id":"' || d.id || '","doc_number":' || coalesce(to_json(d.doc_number)::text, 'null')
        || ',"title":' || to_json(d.title)::text || ',"issuing_org_id":"' || d.issuing_org_id
        || '","issuing_authority":"' || d.issuing_authority || '","category":"' || d.category
        || '","doc_kind":"' || d.doc_kind || '","is_policy":' || d.is_policy::text
        || ',"formed_on":' || json_date(d.formed_on) || ',"published_at":' || json_timestamp(d.published_at)
        || ',"validity":"' || d.validity || '","validity_changed_on":' || json_date(d.validity_changed_on)
        || ',"validity_reason":' || coalesce(to_json(d.validity_reason)::text, 'null') || '}';
END
$$;

CREATE TABLE public_document_list (
    id uuid PRIMARY KEY,
    issuing_org_id uuid NOT NULL,
    category text NOT NULL,
    -- formed_year(formed_on), the year the list's `year` filter names.
    formed_year integer,
    title text NOT NULL,
    -- The list item as JSON; NULL when the service must write it (see public_document_summary).
    summary text
);
CREATE INDEX public_document_list_org_idx ON public_document_list (issuing_org_id, id);
CREATE INDEX public_document_list_year_idx ON public_document_list (formed_year, id);

-- Writes (or rewrites) the kept row of a public document: the one place its columns are formed,
-- for the triggers and for the rows of documents already public.
CREATE FUNCTION public_document_list_write(d documents) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public_document_list (id, issuing_org_id, category, formed_year, title, summary)
    VALUES (d.id, d.issuing_org_id, d.category, formed_year(d.formed_on), d.title, public_document_summary(d))
    ON CONFLICT (id) DO UPDATE SET
        issuing_org_id = EXCLUDED.issuing_org_id, category = EXCLUDED.category,
        formed_year = EXCLUDED.formed_year, title = EXCLUDED.title, summary = EXCLUDED.summary;
END
$$;

CREATE FUNCTION documents_public_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR NOT coalesce(NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive'), false) THEN
        DELETE FROM public_document_list WHERE id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM public_document_list WHERE id = OLD.id;
    END IF;
    PERFORM public_document_list_write(NEW);
    RETURN NULL;
END
$$;

-- Only rows that are or were public fire, and an update only when it changes what the list
-- shows or filters on: the rest of a document's life (its text, its versions) costs nothing here.
-- A column added to the item or the filters must be added to this list.
CREATE TRIGGER documents_public_list_insert AFTER INSERT ON documents
    FOR EACH ROW WHEN (NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive'))
    EXECUTE FUNCTION documents_public_list();
CREATE TRIGGER documents_public_list_update AFTER UPDATE ON documents
    FOR EACH ROW WHEN (((OLD.status = 'published' AND OLD.disclosure IN ('public_release', 'proactive'))
                        OR (NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive')))
                       AND (OLD.id, OLD.status, OLD.disclosure, OLD.doc_number, OLD.title, OLD.issuing_org_id,
                            OLD.issuing_authority, OLD.category, OLD.doc_kind, OLD.is_policy, OLD.formed_on,
                            OLD.published_at, OLD.validity, OLD.validity_changed_on, OLD.validity_reason)
                           IS DISTINCT FROM
                           (NEW.id, NEW.status, NEW.disclosure, NEW.doc_number, NEW.title, NEW.issuing_org_id,
                            NEW.issuing_authority, NEW.category, NEW.doc_kind, NEW.is_policy, NEW.formed_on,
                            NEW.published_at, NEW.validity, NEW.validity_changed_on, NEW.validity_reason))
    EXECUTE FUNCTION documents_public_list();
CREATE TRIGGER documents_public_list_delete AFTER DELETE ON documents
    FOR EACH ROW WHEN (OLD.status = 'published' AND OLD.disclosure IN ('public_release', 'proactive'))
    EXECUTE FUNCTION documents_public_list();

-- What is already public, with the triggers in place and in the migration's transaction, so
-- nothing is missed (writes to documents wait meanwhile).
SELECT public_document_list_write(d)
FROM documents d
WHERE d.status = 'published' AND d.disclosure IN ('public_release', 'proactive');
-- Planned with its statistics from the first list on, not after autovacuum's first visit.
ANALYZE public_document_list;

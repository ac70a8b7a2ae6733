-- Issue 11: the rules of a document row, checked by one BEFORE trigger instead of 16 CHECK
-- constraints, and the public list's trigger told what changed inside its function instead of in
-- a WHEN clause. PostgreSQL reads each CHECK expression and trigger WHEN clause back from its
-- stored node text at the start of every statement that writes the table (stringToNode, then an
-- expression compiled for that statement): for documents 16.8 KB of CHECKs and 8.8 KB of WHEN, at
-- every INSERT and UPDATE, about 5% of the machine's CPU in the lifecycle (perf). A PL/pgSQL
-- function is compiled once a connection and keeps its expressions' plans.
--
-- The same rules fail the same way: SQLSTATE 23514 (check_violation) with the constraint name each
-- rule had, its table and schema, and the same message, though without the failing row's DETAIL;
-- a NULL passes, as it passes a CHECK. Where several rules fail, the first by name is reported, as
-- PostgreSQL orders CHECKs. Unlike a CHECK, a trigger runs in a fixed order among the table's other
-- BEFORE triggers (by name) and can be disabled: it is enabled ALWAYS (so also under
-- session_replication_role = replica, as the tests' bulk inserts use), only ALTER TABLE ... DISABLE
-- TRIGGER skips it, and a BEFORE trigger added later that changes a checked column must sort before
-- `documents_rules` (the one there is, `documents_search_vectors`, writes only `search_title`).

CREATE FUNCTION raise_check_violation(table_schema text, table_name text, constraint_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'new row for relation "%" violates check constraint "%"', table_name, constraint_name
        USING ERRCODE = 'check_violation', SCHEMA = table_schema, TABLE = table_name, CONSTRAINT = constraint_name;
END
$$;

-- The 16 CHECK constraints of documents, each under its old name.
CREATE FUNCTION documents_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (length(NEW.body) <= 200000) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_body_check'); END IF;
    IF (NEW.category IN ('decision', 'execution', 'management', 'service', 'result')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_category_check'); END IF;
    IF (NEW.lead_drafting_org_id = ANY (NEW.drafting_org_ids)) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_check'); END IF;
    IF (NEW.status <> 'published' OR NEW.published_at IS NOT NULL) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_check1'); END IF;
    IF (NEW.status NOT IN ('approved', 'published', 'filed') OR NEW.formed_on IS NOT NULL) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_check2'); END IF;
    IF (NEW.validity = 'valid' OR (NEW.validity_changed_on IS NOT NULL AND NEW.validity_reason IS NOT NULL)) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_check3'); END IF;
    IF (NEW.disclosure IN ('public_release', 'proactive', 'on_request', 'not_public')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_disclosure_check'); END IF;
    IF (NEW.disclosure_reason IS NULL OR length(NEW.disclosure_reason) <= 2000) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_disclosure_reason_check'); END IF;
    IF (NEW.doc_kind IN ('regulation', 'normative', 'other')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_doc_kind_check'); END IF;
    IF (NEW.doc_number IS NULL OR length(btrim(NEW.doc_number)) BETWEEN 1 AND 100) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_doc_number_check'); END IF;
    IF (NEW.exemption IN ('state_secret', 'law_forbidden', 'safety_stability', 'third_party', 'internal_affairs',
                          'process_info', 'enforcement_file', 'admin_query')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_exemption_check'); END IF;
    IF (NEW.issuing_authority IN ('county_government', 'government_office', 'department', 'township')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_issuing_authority_check'); END IF;
    IF (NEW.legal_basis IS NULL OR length(NEW.legal_basis) <= 2000) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_legal_basis_check'); END IF;
    IF (NEW.status IN ('draft', 'submitted', 'returned', 'approved', 'published', 'filed')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_status_check'); END IF;
    IF (length(btrim(NEW.title)) BETWEEN 1 AND 500) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_title_check'); END IF;
    IF (NEW.validity IN ('valid', 'repealed', 'expired')) IS FALSE THEN
        PERFORM raise_check_violation(TG_TABLE_SCHEMA, TG_TABLE_NAME, 'documents_validity_check'); END IF;
    RETURN NEW;
END
$$;

ALTER TABLE documents
    DROP CONSTRAINT documents_body_check, DROP CONSTRAINT documents_category_check, DROP CONSTRAINT documents_check,
    DROP CONSTRAINT documents_check1, DROP CONSTRAINT documents_check2, DROP CONSTRAINT documents_check3,
    DROP CONSTRAINT documents_disclosure_check, DROP CONSTRAINT documents_disclosure_reason_check,
    DROP CONSTRAINT documents_doc_kind_check, DROP CONSTRAINT documents_doc_number_check,
    DROP CONSTRAINT documents_exemption_check, DROP CONSTRAINT documents_issuing_authority_check,
    DROP CONSTRAINT documents_legal_basis_check, DROP CONSTRAINT documents_status_check,
    DROP CONSTRAINT documents_title_check, DROP CONSTRAINT documents_validity_check;

CREATE TRIGGER documents_rules BEFORE INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION documents_rules();
ALTER TABLE documents ENABLE ALWAYS TRIGGER documents_rules;

-- An update of a listed row that changes none of what the list shows or filters on leaves its row
-- alone (the WHEN clause of -000130 said this). A column added to the item or the filters must be
-- added here.
CREATE OR REPLACE FUNCTION documents_public_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR NOT coalesce(NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive'), false) THEN
        DELETE FROM public_document_list WHERE id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE'
       AND coalesce(OLD.status = 'published' AND OLD.disclosure IN ('public_release', 'proactive'), false)
       AND (OLD.id, OLD.status, OLD.disclosure, OLD.doc_number, OLD.title, OLD.issuing_org_id,
            OLD.issuing_authority, OLD.category, OLD.doc_kind, OLD.is_policy, OLD.formed_on, OLD.published_at, OLD.validity,
            OLD.validity_changed_on, OLD.validity_reason)
           IS NOT DISTINCT FROM
           (NEW.id, NEW.status, NEW.disclosure, NEW.doc_number, NEW.title, NEW.issuing_org_id,
            NEW.issuing_authority, NEW.category, NEW.doc_kind, NEW.is_policy, NEW.formed_on, NEW.published_at, NEW.validity,
            NEW.validity_changed_on, NEW.validity_reason) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM public_document_list WHERE id = OLD.id;
    END IF;
    PERFORM public_document_list_write(NEW);
    RETURN NULL;
END
$$;

DROP TRIGGER documents_public_list_update ON documents;
CREATE TRIGGER documents_public_list_update AFTER UPDATE ON documents FOR EACH ROW
    WHEN ((OLD.status = 'published' AND OLD.disclosure IN ('public_release', 'proactive'))
          OR (NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive')))
    EXECUTE FUNCTION documents_public_list();

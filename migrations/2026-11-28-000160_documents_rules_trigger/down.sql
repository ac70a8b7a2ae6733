DROP TRIGGER documents_public_list_update ON documents;

CREATE OR REPLACE FUNCTION documents_public_list() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP TRIGGER documents_rules ON documents;
DROP FUNCTION documents_rules();
DROP FUNCTION raise_check_violation(text, text, text);

ALTER TABLE documents
    ADD CONSTRAINT documents_body_check CHECK ((length(body) <= 200000)),
    ADD CONSTRAINT documents_category_check CHECK ((category = ANY (ARRAY['decision'::text, 'execution'::text, 'management'::text, 'service'::text, 'result'::text]))),
    ADD CONSTRAINT documents_check CHECK ((lead_drafting_org_id = ANY (drafting_org_ids))),
    ADD CONSTRAINT documents_check1 CHECK (((status <> 'published'::text) OR (published_at IS NOT NULL))),
    ADD CONSTRAINT documents_check2 CHECK (((status <> ALL (ARRAY['approved'::text, 'published'::text, 'filed'::text])) OR (formed_on IS NOT NULL))),
    ADD CONSTRAINT documents_check3 CHECK (((validity = 'valid'::text) OR ((validity_changed_on IS NOT NULL) AND (validity_reason IS NOT NULL)))),
    ADD CONSTRAINT documents_disclosure_check CHECK ((disclosure = ANY (ARRAY['public_release'::text, 'proactive'::text, 'on_request'::text, 'not_public'::text]))),
    ADD CONSTRAINT documents_disclosure_reason_check CHECK (((disclosure_reason IS NULL) OR (length(disclosure_reason) <= 2000))),
    ADD CONSTRAINT documents_doc_kind_check CHECK ((doc_kind = ANY (ARRAY['regulation'::text, 'normative'::text, 'other'::text]))),
    ADD CONSTRAINT documents_doc_number_check CHECK (((doc_number IS NULL) OR ((length(btrim(doc_number)) >= 1) AND (length(btrim(doc_number)) <= 100)))),
    ADD CONSTRAINT documents_exemption_check CHECK ((exemption = ANY (ARRAY['state_secret'::text, 'law_forbidden'::text, 'safety_stability'::text, 'third_party'::text, 'internal_affairs'::text, 'process_info'::text, 'enforcement_file'::text, 'admin_query'::text]))),
    ADD CONSTRAINT documents_issuing_authority_check CHECK ((issuing_authority = ANY (ARRAY['county_government'::text, 'government_office'::text, 'department'::text, 'township'::text]))),
    ADD CONSTRAINT documents_legal_basis_check CHECK (((legal_basis IS NULL) OR (length(legal_basis) <= 2000))),
    ADD CONSTRAINT documents_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'submitted'::text, 'returned'::text, 'approved'::text, 'published'::text, 'filed'::text]))),
    ADD CONSTRAINT documents_title_check CHECK (((length(btrim(title)) >= 1) AND (length(btrim(title)) <= 500))),
    ADD CONSTRAINT documents_validity_check CHECK ((validity = ANY (ARRAY['valid'::text, 'repealed'::text, 'expired'::text])));

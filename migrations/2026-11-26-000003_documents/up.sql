-- Documents (公文) with their disclosure attribute, the review trail of submission and
-- publication, policy interpretations (政策解读) with the expert pool, and the breach ledger.

CREATE TABLE documents (
    id uuid PRIMARY KEY,
    doc_number text CHECK (doc_number IS NULL OR length(btrim(doc_number)) BETWEEN 1 AND 100),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    body text NOT NULL DEFAULT '' CHECK (length(body) <= 200000),
    issuing_org_id uuid NOT NULL REFERENCES organizations (id),
    -- The county (subtree under a county_government) the issuing organization belongs to.
    county_id uuid REFERENCES organizations (id),
    issuing_authority text NOT NULL CHECK (issuing_authority IN ('county_government', 'government_office', 'department', 'township')),
    lead_drafting_org_id uuid NOT NULL REFERENCES organizations (id),
    drafting_org_ids uuid[] NOT NULL CHECK (lead_drafting_org_id = ANY (drafting_org_ids)),
    involved_org_ids uuid[] NOT NULL DEFAULT '{}',
    is_policy boolean NOT NULL DEFAULT false,
    category text NOT NULL CHECK (category IN ('decision', 'execution', 'management', 'service', 'result')),
    doc_kind text NOT NULL DEFAULT 'other' CHECK (doc_kind IN ('regulation', 'normative', 'other')),
    disclosure text CHECK (disclosure IN ('public_release', 'proactive', 'on_request', 'not_public')),
    disclosure_reason text CHECK (disclosure_reason IS NULL OR length(disclosure_reason) <= 2000),
    legal_basis text CHECK (legal_basis IS NULL OR length(legal_basis) <= 2000),
    exemption text CHECK (exemption IN ('state_secret', 'law_forbidden', 'safety_stability', 'third_party',
        'internal_affairs', 'process_info', 'enforcement_file', 'admin_query')),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'published', 'filed')),
    -- Bumped by every content edit; reviews are of one revision.
    revision integer NOT NULL DEFAULT 1,
    formed_on date,
    publish_due_on date,
    published_at timestamptz,
    validity text NOT NULL DEFAULT 'valid' CHECK (validity IN ('valid', 'repealed', 'expired')),
    validity_changed_on date,
    validity_reason text,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'published' OR published_at IS NOT NULL),
    CHECK (status NOT IN ('approved', 'published', 'filed') OR formed_on IS NOT NULL),
    CHECK (validity = 'valid' OR (validity_changed_on IS NOT NULL AND validity_reason IS NOT NULL))
);
CREATE UNIQUE INDEX documents_number_per_issuer_idx ON documents (issuing_org_id, doc_number) WHERE doc_number IS NOT NULL;
CREATE INDEX documents_issuing_org_idx ON documents (issuing_org_id, id);
CREATE INDEX documents_county_idx ON documents (county_id, id);
CREATE INDEX documents_status_idx ON documents (status, id);
CREATE INDEX documents_drafting_orgs_idx ON documents USING gin (drafting_org_ids);
CREATE INDEX documents_involved_orgs_idx ON documents USING gin (involved_org_ids);
CREATE INDEX documents_public_idx ON documents (published_at DESC, id DESC)
    WHERE status = 'published' AND disclosure IN ('public_release', 'proactive');

-- 退文: automatic (failed submission rules) or by the government office.
CREATE TABLE document_returns (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES documents (id),
    automatic boolean NOT NULL,
    codes text[] NOT NULL,
    reasons text,
    returned_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(codes) > 0 OR reasons IS NOT NULL)
);
CREATE INDEX document_returns_document_idx ON document_returns (document_id, created_at);

CREATE TABLE document_reviews (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES documents (id),
    kind text NOT NULL CHECK (kind IN ('openness', 'secrecy')),
    passed boolean NOT NULL,
    comment text CHECK (comment IS NULL OR length(comment) <= 2000),
    revision integer NOT NULL,
    reviewer_id uuid NOT NULL REFERENCES users (id),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_reviews_document_idx ON document_reviews (document_id, kind, created_at);

CREATE TABLE document_confirmations (
    document_id uuid NOT NULL REFERENCES documents (id),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    confirmed_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, organization_id)
);

-- 解读专家库.
CREATE TABLE experts (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    field text NOT NULL CHECK (length(btrim(field)) BETWEEN 1 AND 200),
    affiliation text CHECK (affiliation IS NULL OR length(affiliation) <= 200),
    is_active boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE interpretations (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES documents (id),
    stage text NOT NULL CHECK (stage IN ('initial', 'follow_up')),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed', 'approved', 'published')),
    -- 谁起草、谁解读: always the document's lead drafting organization.
    responsible_org_id uuid NOT NULL REFERENCES organizations (id),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    forms text[] NOT NULL DEFAULT '{}' CHECK (forms <@ ARRAY['article', 'graphic', 'video', 'press_conference',
        'media_interview', 'online_interview', 'qa', 'press_release', 'briefing']::text[]),
    -- 解读方案: [{"form", "channel", "planned_on"}].
    plan jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(plan) = 'array'),
    background_basis text,
    objectives text,
    main_content text,
    scope text,
    standards text,
    notes text,
    key_terms text,
    benefits text,
    changes text,
    interpreter_user_id uuid REFERENCES users (id),
    expert_ids uuid[] NOT NULL DEFAULT '{}',
    effect_evaluation text,
    signed_by uuid REFERENCES users (id),
    signed_at timestamptz,
    published_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR (signed_by IS NOT NULL AND signed_at IS NOT NULL)),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE UNIQUE INDEX interpretations_one_initial_idx ON interpretations (document_id) WHERE stage = 'initial';
CREATE INDEX interpretations_document_idx ON interpretations (document_id, id);

-- Every detected lateness, once per source record and kind (DOMAIN.md §10).
CREATE TABLE breaches (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('document_published_late', 'interpretation_plan_late', 'opinion_release_late',
        'opinion_press_conference_late', 'opinion_response_late', 'request_overdue', 'consultation_results_late',
        'repost_missing', 'rectification_overdue', 'website_not_updated', 'annual_report_late', 'manual')),
    organization_id uuid REFERENCES organizations (id),
    entity_type text NOT NULL,
    entity_id uuid,
    due_on date,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX breaches_once_idx ON breaches (kind, entity_type, entity_id) WHERE kind <> 'manual';
CREATE INDEX breaches_org_idx ON breaches (organization_id, occurred_at);

-- Reposting higher-level documents (seed §4.2): the government office registers a document of the
-- State Council, the province or the prefecture published online; every department and township
-- of the county then owes a repost on its own site by a deadline in working days.
CREATE TABLE higher_documents (
    id uuid PRIMARY KEY,
    county_id uuid NOT NULL REFERENCES organizations (id),
    issuer_level text NOT NULL CHECK (issuer_level IN ('state_council', 'province', 'prefecture')),
    issuer text NOT NULL,
    title text NOT NULL,
    doc_number text,
    url text NOT NULL,
    published_on date NOT NULL,
    -- The day the obligations start: the registration (the county cannot owe a repost before it is told).
    registered_on date NOT NULL,
    repost_working_days integer NOT NULL CHECK (repost_working_days BETWEEN 1 AND 60),
    due_on date NOT NULL,
    registered_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (published_on <= registered_on)
);
CREATE INDEX higher_documents_county_idx ON higher_documents (county_id, id);

CREATE TABLE repost_obligations (
    id uuid PRIMARY KEY,
    higher_document_id uuid NOT NULL REFERENCES higher_documents (id),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    due_on date NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'reposted')),
    repost_url text,
    reposted_on date,
    recorded_by uuid REFERENCES users (id),
    recorded_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    UNIQUE (higher_document_id, organization_id),
    CHECK ((status = 'reposted') = (repost_url IS NOT NULL AND reposted_on IS NOT NULL))
);
CREATE INDEX repost_obligations_org_idx ON repost_obligations (organization_id, id);
CREATE INDEX repost_obligations_pending_idx ON repost_obligations (due_on) WHERE status = 'pending';

-- The yearly self-inspection (自查, seed §1.4): each organization reviews its documents not
-- disclosed proactively and the information most requested, decides on each, and reports to the
-- government office. A conversion to proactive restarts the document's publication clock from the
-- conversion day (DOMAIN.md §2), kept in publish_clock_from so calendar changes recompute from it.
ALTER TABLE documents ADD COLUMN publish_clock_from date;

CREATE TABLE self_inspections (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    summary text,
    created_by uuid REFERENCES users (id),
    submitted_by uuid REFERENCES users (id),
    submitted_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, year),
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);

CREATE TABLE self_inspection_items (
    id uuid PRIMARY KEY,
    self_inspection_id uuid NOT NULL REFERENCES self_inspections (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('document', 'requested_information')),
    document_id uuid REFERENCES documents (id),
    -- The document's attribute when listed, or the requested information's description.
    disclosure_before text,
    subject text NOT NULL,
    request_count integer NOT NULL DEFAULT 0,
    decision text CHECK (decision IN ('keep', 'convert')),
    reason text,
    decided_by uuid REFERENCES users (id),
    decided_at timestamptz,
    position integer NOT NULL,
    CHECK ((kind = 'document') = (document_id IS NOT NULL)),
    CHECK ((decision IS NULL) = (reason IS NULL)),
    UNIQUE (self_inspection_id, position)
);
CREATE UNIQUE INDEX self_inspection_items_document_idx ON self_inspection_items (self_inspection_id, document_id)
    WHERE document_id IS NOT NULL;

-- Public consultations (公开征求意见, DOMAIN.md §5): the draft and its period, anonymous comments
-- (contacts sealed like applicants' data), staff moderation that keeps the original text,
-- clusters of similar comments, and adoption results.
CREATE TABLE consultations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    title text NOT NULL,
    draft_text text NOT NULL,
    document_id uuid REFERENCES documents (id),
    meeting_topic text,
    method text NOT NULL CHECK (method IN ('written_comment', 'hearing', 'symposium', 'consultation', 'attendance',
        'media_briefing')),
    purpose text NOT NULL,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    shorter_period_reason text,
    channels text[] NOT NULL DEFAULT '{}',
    contact text NOT NULL,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed', 'results_published')),
    closed_at timestamptz,
    results_summary text,
    results_published_at timestamptz,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_at > opens_at)
);
CREATE INDEX consultations_org_idx ON consultations (organization_id, id);
CREATE INDEX consultations_status_idx ON consultations (status, closes_at);

CREATE TABLE consultation_clusters (
    id uuid PRIMARY KEY,
    consultation_id uuid NOT NULL REFERENCES consultations (id),
    title text NOT NULL,
    result text CHECK (result IN ('adopted', 'partially_adopted', 'not_adopted')),
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consultation_clusters_idx ON consultation_clusters (consultation_id);

CREATE TABLE consultation_comments (
    id uuid PRIMARY KEY,
    consultation_id uuid NOT NULL REFERENCES consultations (id),
    receipt_code text NOT NULL UNIQUE,
    body text NOT NULL,
    -- What the public sees when moderation redacted part of the text; the original stays in `body`.
    published_body text,
    commenter_name text,
    contact_sealed bytea,
    clause_ref text,
    hidden boolean NOT NULL DEFAULT false,
    moderation_reason text,
    cluster_id uuid REFERENCES consultation_clusters (id),
    result text CHECK (result IN ('adopted', 'partially_adopted', 'not_adopted')),
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consultation_comments_idx ON consultation_comments (consultation_id, id);

-- How many working days after a consultation ends its results must be published (a county
-- setting); later is a `consultation_results_late` breach.
CREATE TABLE consultation_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    results_working_days integer NOT NULL DEFAULT 15 CHECK (results_working_days BETWEEN 1 AND 120),
    comments_per_address_per_hour integer NOT NULL DEFAULT 30 CHECK (comments_per_address_per_hour BETWEEN 1 AND 10000),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO consultation_settings DEFAULT VALUES;

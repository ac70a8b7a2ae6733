-- Oversight by the government office (seed §1.4, §4): rectifications (整改) opened by website
-- checks and spot checks (抽查), the registry of government websites and their monitoring checks,
-- and public reading venues (公共查阅点) with the documents placed there.

CREATE TABLE rectifications (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    source text NOT NULL CHECK (source IN ('website_check', 'spot_check')),
    -- The website check or spot check, and its finding (one rectification per finding).
    source_id uuid NOT NULL,
    finding_id uuid NOT NULL UNIQUE,
    problem text NOT NULL,
    owner_user_id uuid REFERENCES users (id),
    opened_on date NOT NULL,
    deadline date NOT NULL CHECK (deadline > opened_on),
    evidence text,
    submitted_on date,
    reopen_reason text,
    verified_on date,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'verified', 'reopened')),
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('submitted', 'verified') OR (evidence IS NOT NULL AND submitted_on IS NOT NULL))
);
CREATE INDEX rectifications_org_idx ON rectifications (organization_id, id);
CREATE INDEX rectifications_waiting_idx ON rectifications (deadline) WHERE status IN ('open', 'reopened');

CREATE TABLE websites (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL,
    url text NOT NULL CHECK (url ~ '^https?://'),
    status text NOT NULL DEFAULT 'compliant' CHECK (status IN ('compliant', 'non_compliant', 'closed')),
    closure_reason text,
    closed_on date,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'closed' OR (closure_reason IS NOT NULL AND closed_on IS NOT NULL))
);
CREATE INDEX websites_org_idx ON websites (organization_id, id);

-- A monitoring check as recorded by the office (checks are recorded, not crawled).
CREATE TABLE website_checks (
    id uuid PRIMARY KEY,
    website_id uuid NOT NULL REFERENCES websites (id),
    checked_on date NOT NULL,
    notes text,
    status_after text NOT NULL CHECK (status_after IN ('compliant', 'non_compliant')),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX website_checks_site_idx ON website_checks (website_id, id);

CREATE TABLE website_check_findings (
    id uuid PRIMARY KEY,
    check_id uuid NOT NULL REFERENCES website_checks (id),
    position integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('broken_links', 'stale_content', 'security', 'accessibility')),
    description text NOT NULL,
    deadline date NOT NULL,
    rectification_id uuid NOT NULL UNIQUE REFERENCES rectifications (id),
    UNIQUE (check_id, position)
);

CREATE TABLE spot_checks (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    sample_size integer NOT NULL CHECK (sample_size BETWEEN 1 AND 50),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed')),
    notes text,
    completed_on date,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spot_checks_org_idx ON spot_checks (organization_id, id);

-- The documents drawn at random when the spot check was created; fixed from then on.
CREATE TABLE spot_check_samples (
    spot_check_id uuid NOT NULL REFERENCES spot_checks (id),
    document_id uuid NOT NULL REFERENCES documents (id),
    position integer NOT NULL,
    PRIMARY KEY (spot_check_id, document_id),
    UNIQUE (spot_check_id, position)
);

CREATE TABLE spot_check_findings (
    id uuid PRIMARY KEY,
    spot_check_id uuid NOT NULL,
    document_id uuid NOT NULL,
    problem text NOT NULL,
    deadline date NOT NULL,
    rectification_id uuid NOT NULL UNIQUE REFERENCES rectifications (id),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (spot_check_id, document_id) REFERENCES spot_check_samples (spot_check_id, document_id)
);
CREATE INDEX spot_check_findings_idx ON spot_check_findings (spot_check_id, id);

CREATE TABLE reading_venues (
    id uuid PRIMARY KEY,
    -- The county government whose office keeps the venue.
    county_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('library', 'archives', 'youth_center', 'elderly_center', 'service_center', 'other')),
    address text NOT NULL,
    opening_hours text NOT NULL,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reading_venues_county_idx ON reading_venues (county_id, id);

CREATE TABLE reading_venue_placements (
    id uuid PRIMARY KEY,
    venue_id uuid NOT NULL REFERENCES reading_venues (id),
    document_id uuid NOT NULL REFERENCES documents (id),
    placed_on date NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reading_venue_placements_once UNIQUE (venue_id, document_id)
);

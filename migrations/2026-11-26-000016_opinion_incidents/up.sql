-- Public-opinion response (政务舆情, DOMAIN.md §6; seed §3): incidents with the responsibility the
-- rules decided, their workflow, wall-clock clocks kept in the database (so a restart loses none),
-- releases (public) and referrals of false information (internal).
CREATE TABLE opinion_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    release_hours integer NOT NULL DEFAULT 5 CHECK (release_hours BETWEEN 1 AND 72),
    press_conference_hours integer NOT NULL DEFAULT 24 CHECK (press_conference_hours BETWEEN 1 AND 168),
    response_hours integer NOT NULL DEFAULT 48 CHECK (response_hours BETWEEN 1 AND 336),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO opinion_settings DEFAULT VALUES;

CREATE TABLE opinion_incidents (
    id uuid PRIMARY KEY,
    -- The organization that collected it.
    organization_id uuid NOT NULL REFERENCES organizations (id),
    source text NOT NULL CHECK (source IN ('media', 'online_platform', 'hotline', 'petition', 'other')),
    source_link text,
    summary text NOT NULL,
    detected_at timestamptz NOT NULL,
    focus text CHECK (focus IN ('major_decision', 'public_interest_report', 'government_credibility',
        'emergency_response', 'moral_bottom_line', 'harmful_false_information')),
    event_level text CHECK (event_level IN ('especially_major', 'major', 'large', 'general')),
    county_policy boolean NOT NULL DEFAULT false,
    policy_department_id uuid REFERENCES organizations (id),
    involved_organization_ids uuid[] NOT NULL DEFAULT '{}',
    regions text[] NOT NULL DEFAULT '{}',
    lead_organization_id uuid REFERENCES organizations (id),
    -- For opinion spanning several regions: the higher-level competent department, if in the system.
    higher_authority_id uuid REFERENCES organizations (id),
    responsibility_rule text NOT NULL CHECK (responsibility_rule IN ('county_policy', 'single_organization',
        'several_regions', 'several_departments')),
    responder_ids uuid[] NOT NULL DEFAULT '{}',
    escalated boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'collected' CHECK (status IN ('collected', 'consulted', 'assessed', 'responded',
        'evaluated')),
    consultation_participants text,
    consultation_minutes text,
    consulted_at timestamptz,
    handling_class text CHECK (handling_class IN ('constructive_suggestion', 'real_difficulty', 'major_problem',
        'public_unaware', 'wrong_view', 'false_information')),
    assessment_notes text,
    assessed_at timestamptz,
    responded_at timestamptz,
    evaluation_notes text,
    evaluated_at timestamptz,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_incidents_org_idx ON opinion_incidents (organization_id, id);
CREATE INDEX opinion_incidents_responders_idx ON opinion_incidents USING gin (responder_ids);

-- One row per clock; `stopped_at` is the first release that stops it, `breach_recorded_at` when
-- the sweep recorded it missed.
CREATE TABLE opinion_clocks (
    incident_id uuid NOT NULL REFERENCES opinion_incidents (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('opinion_release_late', 'opinion_press_conference_late', 'opinion_response_late')),
    due_at timestamptz NOT NULL,
    stopped_at timestamptz,
    breach_recorded_at timestamptz,
    PRIMARY KEY (incident_id, kind)
);
CREATE INDEX opinion_clocks_pending_idx ON opinion_clocks (due_at) WHERE stopped_at IS NULL AND breach_recorded_at IS NULL;

CREATE TABLE opinion_releases (
    id uuid PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES opinion_incidents (id),
    kind text NOT NULL CHECK (kind IN ('authoritative_information', 'press_conference', 'follow_up',
        'adoption_published', 'solution_published', 'investigation_published', 'correction', 'response')),
    channel text NOT NULL,
    title text NOT NULL,
    content text NOT NULL,
    released_at timestamptz NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_releases_incident_idx ON opinion_releases (incident_id, released_at);
CREATE INDEX opinion_releases_public_idx ON opinion_releases (id);

CREATE TABLE opinion_referrals (
    id uuid PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES opinion_incidents (id),
    authority text NOT NULL CHECK (authority IN ('police', 'cyberspace_authority')),
    referred_at timestamptz NOT NULL,
    reference text,
    notes text NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_referrals_incident_idx ON opinion_referrals (incident_id);

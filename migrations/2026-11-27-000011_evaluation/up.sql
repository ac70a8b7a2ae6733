-- Evaluation (seed §6): indicator systems per county with weighted trees, periods, scores per
-- organization and leaf indicator with their source, and the share openness carries in the
-- comprehensive assessment. Weights and scores are hundredths (12.5 is 1250) so sums are exact.
CREATE TABLE evaluation_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- 国办发〔2016〕80号: openness weighs at least 4% of the comprehensive assessment.
    openness_share_basis_points integer NOT NULL DEFAULT 400 CHECK (openness_share_basis_points BETWEEN 1 AND 10000),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO evaluation_settings DEFAULT VALUES;

CREATE TABLE evaluation_systems (
    id uuid PRIMARY KEY,
    county_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL,
    description text,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evaluation_systems_county_idx ON evaluation_systems (county_id, id);

CREATE TABLE evaluation_indicators (
    id uuid PRIMARY KEY,
    system_id uuid NOT NULL REFERENCES evaluation_systems (id) ON DELETE CASCADE,
    parent_id uuid REFERENCES evaluation_indicators (id) ON DELETE CASCADE,
    code text NOT NULL,
    name text NOT NULL,
    description text,
    weight integer NOT NULL CHECK (weight BETWEEN 1 AND 10000),
    is_leaf boolean NOT NULL,
    position integer NOT NULL,
    UNIQUE (system_id, code),
    UNIQUE (system_id, position)
);

CREATE TABLE evaluation_periods (
    id uuid PRIMARY KEY,
    county_id uuid NOT NULL REFERENCES organizations (id),
    system_id uuid NOT NULL REFERENCES evaluation_systems (id),
    name text NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX evaluation_periods_county_idx ON evaluation_periods (county_id, id);

CREATE TABLE evaluation_scores (
    id uuid PRIMARY KEY,
    period_id uuid NOT NULL REFERENCES evaluation_periods (id),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    -- No cascade: a scored tree is frozen, so its indicators are never deleted under a score.
    indicator_id uuid NOT NULL REFERENCES evaluation_indicators (id),
    score integer NOT NULL CHECK (score BETWEEN 0 AND 10000),
    source text NOT NULL CHECK (source IN ('staff', 'third_party')),
    -- The third-party evaluator (organization or client name), when the source is third_party.
    evaluator text,
    note text,
    recorded_by uuid NOT NULL,
    recorded_by_kind text NOT NULL CHECK (recorded_by_kind IN ('user', 'client')),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (period_id, organization_id, indicator_id)
);
CREATE INDEX evaluation_scores_period_idx ON evaluation_scores (period_id, id);

-- The accountability ledger (seed §6.3): who recorded a manual breach, and the government
-- office's decisions on any breach.
ALTER TABLE breaches ADD COLUMN recorded_by uuid REFERENCES users (id);
CREATE INDEX breaches_kind_idx ON breaches (kind, id);
-- The ledger lists newest first by the time each breach was found.
CREATE INDEX breaches_found_idx ON breaches (occurred_at, id);

CREATE TABLE breach_decisions (
    id uuid PRIMARY KEY,
    breach_id uuid NOT NULL REFERENCES breaches (id),
    kind text NOT NULL CHECK (kind IN ('criticism', 'public_notice', 'referral')),
    decided_on date NOT NULL,
    reason text NOT NULL CHECK (length(btrim(reason)) > 0),
    referred_to text,
    decided_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'referral' OR length(btrim(coalesce(referred_to, ''))) > 0)
);
CREATE INDEX breach_decisions_breach_idx ON breach_decisions (breach_id, id);

-- Townships have no statutory date for their annual report (DOMAIN.md §9): the county sets it.
CREATE TABLE annual_report_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    township_due_month integer NOT NULL DEFAULT 1,
    township_due_day integer NOT NULL DEFAULT 31,
    version integer NOT NULL DEFAULT 1,
    updated_by uuid REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO annual_report_settings (singleton) VALUES (true);

-- Reconsiderations and lawsuits about disclosure (table 四), entered as records.
CREATE TABLE legal_challenges (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    kind text NOT NULL CHECK (kind IN ('reconsideration', 'litigation_direct', 'litigation_after_reconsideration')),
    -- 国办公开办函〔2016〕201号: where the reconsideration body is a co-defendant, only the original
    -- agency's case is counted; the body's own record is kept but not counted.
    role text NOT NULL DEFAULT 'original_agency' CHECK (role IN ('original_agency', 'reconsideration_body')),
    case_number text NOT NULL CHECK (length(btrim(case_number)) > 0),
    filed_on date NOT NULL,
    summary text NOT NULL DEFAULT '',
    result text CHECK (result IN ('upheld', 'corrected', 'other')),
    concluded_on date,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT legal_challenges_case_key UNIQUE (organization_id, case_number),
    CHECK ((result IS NULL) = (concluded_on IS NULL)),
    CHECK (role = 'original_agency' OR kind = 'litigation_after_reconsideration'),
    CHECK (concluded_on IS NULL OR concluded_on >= filed_on)
);
CREATE INDEX legal_challenges_org_filed_idx ON legal_challenges (organization_id, filed_on);

-- The statutory annual report: tables 二 (computed part), 三 and 四 are counted from data into
-- `computed`; the entered numbers of table 二 and the three text sections are columns.
CREATE TABLE annual_reports (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    year integer NOT NULL CHECK (year BETWEEN 2008 AND 2100),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'reviewed', 'published')),
    scope text NOT NULL CHECK (scope IN ('organization', 'county')),
    overview text NOT NULL DEFAULT '',
    problems_and_improvements text NOT NULL DEFAULT '',
    other_matters text NOT NULL DEFAULT '',
    licensing_decisions bigint NOT NULL DEFAULT 0 CHECK (licensing_decisions >= 0),
    penalty_decisions bigint NOT NULL DEFAULT 0 CHECK (penalty_decisions >= 0),
    enforcement_decisions bigint NOT NULL DEFAULT 0 CHECK (enforcement_decisions >= 0),
    administrative_fees_fen bigint NOT NULL DEFAULT 0 CHECK (administrative_fees_fen >= 0),
    computed jsonb NOT NULL,
    computed_at timestamptz NOT NULL,
    due_on date,
    reviewed_by uuid REFERENCES users (id),
    reviewed_at timestamptz,
    published_by uuid REFERENCES users (id),
    published_at timestamptz,
    published_on date,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT annual_reports_org_year_key UNIQUE (organization_id, year),
    CHECK (status <> 'published' OR (published_at IS NOT NULL AND published_on IS NOT NULL))
);
CREATE INDEX annual_reports_year_idx ON annual_reports (year, id);

-- A published report is the record the public relies on: the database itself keeps it as it was.
CREATE FUNCTION annual_reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'a published annual report cannot be changed' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'annual_reports_published_immutable';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER annual_reports_immutable BEFORE UPDATE OR DELETE ON annual_reports
    FOR EACH ROW EXECUTE FUNCTION annual_reports_immutable();

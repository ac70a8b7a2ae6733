-- Organization records (seed §6): leadership with duties (published), yearly work priorities,
-- the principal's hearings of the openness work, and training of the openness staff.
ALTER TABLE organizations ADD COLUMN principal_duties text, ADD COLUMN openness_deputy_duties text;

CREATE TABLE work_priorities (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    text text NOT NULL,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX work_priorities_organization_year_idx ON work_priorities (organization_id, year, id);

CREATE TABLE work_report_hearings (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    held_on date NOT NULL,
    -- The principal who heard the report, as named on the minutes.
    chaired_by text,
    minutes text NOT NULL,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX work_report_hearings_organization_idx ON work_report_hearings (organization_id, held_on);

-- A plan belongs to an organization; the county government's plans are the county-wide ones.
CREATE TABLE training_plans (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    year integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    title text NOT NULL,
    description text,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_plans_organization_idx ON training_plans (organization_id, year);

CREATE TABLE training_sessions (
    id uuid PRIMARY KEY,
    plan_id uuid NOT NULL REFERENCES training_plans (id),
    held_on date NOT NULL,
    topic text NOT NULL,
    trainer text,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_sessions_plan_idx ON training_sessions (plan_id, held_on);
CREATE INDEX training_sessions_held_on_idx ON training_sessions (held_on);

CREATE TABLE training_attendance (
    session_id uuid NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id),
    recorded_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX training_attendance_user_idx ON training_attendance (user_id);

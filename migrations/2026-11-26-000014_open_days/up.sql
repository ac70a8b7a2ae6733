-- Government open days (政府开放日, seed §5.3): announced publicly, with registration up to the
-- capacity; registrants' contacts are sealed.
CREATE TABLE open_days (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    title text NOT NULL,
    description text NOT NULL,
    location text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    registration_closes_at timestamptz NOT NULL,
    capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at AND registration_closes_at <= starts_at)
);
CREATE INDEX open_days_starts_idx ON open_days (starts_at);

CREATE TABLE open_day_registrations (
    id uuid PRIMARY KEY,
    open_day_id uuid NOT NULL REFERENCES open_days (id),
    receipt_code text NOT NULL UNIQUE,
    name text NOT NULL,
    contact_sealed bytea NOT NULL,
    party_size integer NOT NULL CHECK (party_size BETWEEN 1 AND 5),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_day_registrations_idx ON open_day_registrations (open_day_id);

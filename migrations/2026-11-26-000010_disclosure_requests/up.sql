-- Disclosure requests (依申请公开, 条例第四章). Identity numbers and contact data are sealed
-- (XChaCha20-Poly1305, key outside the database); `applicant_key` is a keyed hash of the identity
-- number, so requests by one applicant can be counted (fees, rate limits, art. 44) without
-- storing the number in clear.

-- The county's settings (DOMAIN.md §7): one row.
CREATE TABLE request_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    fee_payment_working_days integer NOT NULL DEFAULT 20 CHECK (fee_payment_working_days BETWEEN 1 AND 60),
    pause_while_fee_unpaid boolean NOT NULL DEFAULT true,
    submissions_per_address_per_hour integer NOT NULL DEFAULT 10 CHECK (submissions_per_address_per_hour BETWEEN 1 AND 10000),
    submissions_per_applicant_per_day integer NOT NULL DEFAULT 5 CHECK (submissions_per_applicant_per_day BETWEEN 1 AND 1000),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO request_settings DEFAULT VALUES;

CREATE TABLE disclosure_requests (
    id uuid PRIMARY KEY,
    tracking_code text NOT NULL UNIQUE,
    query_token_hash bytea NOT NULL,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    applicant_type text NOT NULL CHECK (applicant_type IN ('natural_person', 'commercial', 'research',
        'public_welfare', 'legal_services', 'other_legal_person')),
    applicant_name text NOT NULL,
    identity_document_type text NOT NULL,
    identity_number_sealed bytea NOT NULL,
    identity_number_masked text NOT NULL,
    applicant_key text NOT NULL,
    phone_sealed bytea,
    phone_masked text,
    email_sealed bytea,
    email_masked text,
    address_sealed bytea,
    description text NOT NULL,
    document_number text,
    information_form text NOT NULL,
    delivery_method text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('in_person', 'post', 'ordinary_letter', 'fax', 'email', 'online')),
    arrived_on date NOT NULL,
    signed_for_on date,
    confirmed_on date,
    proxy_filled boolean NOT NULL DEFAULT false,
    needs_assistance boolean NOT NULL DEFAULT false,
    received_on date NOT NULL,
    corrected_on date,
    state text NOT NULL CHECK (state IN ('received', 'correction_requested', 'in_progress', 'paused', 'replied',
        'archived', 'closed')),
    due_on date NOT NULL,
    due_provisional boolean NOT NULL DEFAULT false,
    correction_requested_on date,
    correction_items text[],
    correction_deadline date,
    extension_days integer NOT NULL DEFAULT 0 CHECK (extension_days BETWEEN 0 AND 20),
    extension_reason text,
    extension_approved_by uuid REFERENCES users (id),
    extended_on date,
    outcome text,
    closed_on date,
    archived_on date,
    subject_key text NOT NULL,
    group_id uuid NOT NULL,
    registered_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((state IN ('replied', 'archived', 'closed')) = (outcome IS NOT NULL))
);
CREATE INDEX disclosure_requests_org_idx ON disclosure_requests (organization_id, id);
CREATE INDEX disclosure_requests_due_idx ON disclosure_requests (due_on) WHERE state IN ('received', 'correction_requested', 'in_progress', 'paused');
CREATE INDEX disclosure_requests_applicant_idx ON disclosure_requests (applicant_key, organization_id, received_on);
CREATE INDEX disclosure_requests_subject_idx ON disclosure_requests (organization_id, subject_key);
CREATE INDEX disclosure_requests_group_idx ON disclosure_requests (group_id);

-- Consultations of a third party (art. 32) or a co-producing agency (art. 34).
CREATE TABLE request_consultations (
    id uuid PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES disclosure_requests (id),
    party text NOT NULL CHECK (party IN ('third_party', 'co_producing_agency')),
    party_name text NOT NULL,
    sent_on date NOT NULL,
    window_due_on date NOT NULL,
    answered_on date,
    opinion text CHECK (opinion IN ('consent', 'objection', 'no_reply')),
    notes text,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((answered_on IS NULL) = (opinion IS NULL))
);
CREATE INDEX request_consultations_request_idx ON request_consultations (request_id);

-- The information processing fee notice (国办函〔2020〕109号); at most one per request.
CREATE TABLE request_fee_notices (
    request_id uuid PRIMARY KEY REFERENCES disclosure_requests (id),
    method text NOT NULL CHECK (method IN ('per_request', 'per_page')),
    nth_request_this_month integer NOT NULL,
    pages integer,
    amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
    notified_on date NOT NULL,
    payment_due_on date NOT NULL,
    -- The county settings in force at the notice: later changes do not move this clock.
    payment_working_days integer NOT NULL,
    pauses_clock boolean NOT NULL,
    paid_on date,
    payment_reference text,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The reply (arts. 36–39): its outcome is the request's `outcome`.
CREATE TABLE request_replies (
    request_id uuid PRIMARY KEY REFERENCES disclosure_requests (id),
    reply_text text NOT NULL,
    legal_basis text,
    responsible_agency_name text,
    responsible_agency_contact text,
    provided_document_ids uuid[] NOT NULL DEFAULT '{}',
    replied_on date NOT NULL,
    replied_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The request's history as its officers and the applicant's reviewers read it: every act, and
-- every move of the due date with the reason for it.
CREATE TABLE request_events (
    id bigserial PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES disclosure_requests (id),
    action text NOT NULL,
    state_from text,
    state_to text NOT NULL,
    due_from date,
    due_to date NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    actor_id uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_events_request_idx ON request_events (request_id, id);

-- A fingerprint of the personal-data key, so that starting with another key (a lost or swapped
-- key file) is refused instead of silently making sealed data unreadable.
CREATE TABLE personal_data_key_check (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    fingerprint text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

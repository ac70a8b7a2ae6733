-- Government meetings and their topics (DOMAIN.md §5; seed §1.2): the openness plan of each topic
-- and the consultation an important decision draft went through.
CREATE TABLE meetings (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    title text NOT NULL,
    scheduled_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'approved', 'held')),
    approved_by uuid REFERENCES users (id),
    approved_at timestamptz,
    held_at timestamptz,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_org_idx ON meetings (organization_id, id);

CREATE TABLE meeting_topics (
    id uuid PRIMARY KEY,
    meeting_id uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position integer NOT NULL,
    title text NOT NULL,
    major_livelihood boolean NOT NULL DEFAULT false,
    -- NULL until the plan states it: {stakeholders, public_representatives, experts, media}.
    invitations jsonb,
    openness text CHECK (openness IN ('open', 'confidential')),
    broadcast text[] NOT NULL DEFAULT '{}',
    confidential_reason text,
    important_decision_draft boolean NOT NULL DEFAULT false,
    consultation_id uuid REFERENCES consultations (id),
    UNIQUE (meeting_id, position)
);

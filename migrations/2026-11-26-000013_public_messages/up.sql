-- Participation channels (seed §5.3): messages to an organization's hotline or leader mailbox,
-- answered within a configurable number of working days and published with the sender's consent.
CREATE TABLE participation_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    message_reply_working_days integer NOT NULL DEFAULT 10 CHECK (message_reply_working_days BETWEEN 1 AND 60),
    messages_per_address_per_hour integer NOT NULL DEFAULT 10 CHECK (messages_per_address_per_hour BETWEEN 1 AND 10000),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO participation_settings DEFAULT VALUES;

CREATE TABLE public_messages (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    receipt_code text NOT NULL UNIQUE,
    subject text NOT NULL,
    body text NOT NULL,
    sender_name text,
    contact_sealed bytea,
    publish_consent boolean NOT NULL DEFAULT false,
    received_on date NOT NULL,
    due_on date NOT NULL,
    status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'replied')),
    reply_text text,
    replied_on date,
    replied_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'replied') = (reply_text IS NOT NULL))
);
CREATE INDEX public_messages_org_idx ON public_messages (organization_id, id);
CREATE INDEX public_messages_published_idx ON public_messages (id) WHERE status = 'replied' AND publish_consent;

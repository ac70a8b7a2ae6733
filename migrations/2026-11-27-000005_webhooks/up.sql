-- Webhooks (issue 9): machine clients subscribe to change-feed events; each matching change
-- becomes one delivery per subscription, tried until the receiver answers 2xx or the retries
-- run out (a dead letter, kept until replayed).
CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY['document.published',
        'document.updated', 'document.repealed', 'interpretation.published', 'interpretation.updated',
        'annual_report.published', 'consultation.published', 'consultation.updated', 'consultation.closed',
        'consultation.results_published', 'opinion_release.published', 'catalog.published']::text[]),
    -- The signing secret, sealed with the personal-data key: it must be read back to sign.
    secret_sealed bytea NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    -- The last change-feed number turned into deliveries for this subscription.
    outbox_cursor bigint NOT NULL CHECK (outbox_cursor >= 0),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_client_idx ON webhook_subscriptions (client_id, id);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    outbox_seq bigint NOT NULL REFERENCES outbox (seq),
    event text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    -- Attempts since the delivery was created or last replayed.
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Every attempt ever made: the number of the latest (attempts are numbered across replays).
    attempts_total integer NOT NULL DEFAULT 0 CHECK (attempts_total >= attempts),
    -- When a pending delivery is next due; while an attempt runs, the end of its lease.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- The attempt running now (set by the claim, cleared by its outcome): only that attempt may
    -- record an outcome, so one whose lease ran out cannot overwrite a newer one.
    claim_id uuid,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- One delivery per change and subscription: a change is never queued twice.
    UNIQUE (subscription_id, outbox_seq),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_in_flight_idx ON webhook_deliveries (subscription_id) WHERE claim_id IS NOT NULL;
CREATE INDEX webhook_deliveries_listing_idx ON webhook_deliveries (subscription_id, status, id);

CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number > 0),
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    -- The receiver's HTTP status; NULL when it gave none (refused, timed out, blocked target).
    response_status integer,
    error text,
    PRIMARY KEY (delivery_id, number)
);

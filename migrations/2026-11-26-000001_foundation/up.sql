-- The foundation: organizations, staff, credentials, machine clients, the audit log,
-- idempotency keys and rate-limit counters.
-- Enumerations are text with CHECK constraints (DESIGN.md "Data"): easy to extend in a migration.

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('county_government', 'government_office', 'department',
                                       'township', 'public_institution', 'higher_level')),
    parent_id uuid REFERENCES organizations (id) ON DELETE RESTRICT,
    principal_name text,
    openness_deputy_name text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);
CREATE UNIQUE INDEX organizations_name_under_parent_idx
    ON organizations (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    password_hash text NOT NULL,
    display_name text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
    organization_id uuid REFERENCES organizations (id) ON DELETE RESTRICT,
    roles text[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['system_admin', 'openness_head', 'gov_office',
        'openness_officer', 'drafter', 'principal', 'opinion_officer']::text[]),
    is_active boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Everyone but a deployment-wide system_admin works for one organization.
    CHECK (organization_id IS NOT NULL OR 'system_admin' = ANY (roles))
);
CREATE INDEX users_organization_idx ON users (organization_id);

-- Refresh tokens rotate: each use marks the row used and issues a sibling in the same family.
-- Presenting a used token again revokes the whole family (theft detection).
CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE oauth_clients (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    secret_hash text NOT NULL,
    scopes text[] NOT NULL CHECK (scopes <@ ARRAY['public:read', 'documents:read', 'documents:write',
        'requests:read', 'requests:write', 'sync:read', 'webhooks:manage', 'reports:read',
        'evaluation:write']::text[]),
    organization_id uuid REFERENCES organizations (id) ON DELETE RESTRICT,
    is_active boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only: written in the same transaction as the change it records; ids and field names only,
-- never personal data in clear.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'client', 'system', 'anonymous')),
    actor_id uuid,
    action text NOT NULL CHECK (action ~ '^[a-z][a-z_.-]{1,63}$'),
    entity_type text NOT NULL CHECK (entity_type ~ '^[a-z][a-z_]{1,63}$'),
    entity_id uuid,
    request_id text,
    changed_fields text[] NOT NULL DEFAULT '{}',
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- A POST with an Idempotency-Key is claimed here before it runs and answered from here after.
CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key uuid NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    request_hash text NOT NULL,
    response_status smallint,
    response_headers jsonb,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Fixed-window counters shared by every API instance.
CREATE TABLE rate_limit_counters (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

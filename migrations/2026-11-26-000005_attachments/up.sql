-- Files attached to documents and interpretations. The bytes live in the object store under
-- storage_key; this row holds what was checked about them.
CREATE TABLE attachments (
    id uuid PRIMARY KEY,
    owner_type text NOT NULL CHECK (owner_type IN ('document', 'interpretation')),
    owner_id uuid NOT NULL,
    filename text NOT NULL CHECK (length(btrim(filename)) BETWEEN 1 AND 255),
    media_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key text NOT NULL UNIQUE,
    uploaded_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_owner_idx ON attachments (owner_type, owner_id, id);

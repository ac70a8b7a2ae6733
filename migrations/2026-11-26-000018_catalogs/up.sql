-- Proactive-disclosure catalogs (主动公开基本目录, DOMAIN.md §4, seed §1.3): the 26 grassroots
-- standard areas as a seeded reference list (extensible per county with local areas), one catalog
-- per organization whose items are edited as a draft and published as a whole; every published
-- version is an immutable snapshot.
CREATE TABLE catalog_areas (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- NULL: one of the 26 standard areas, shared by every county.
    county_id uuid REFERENCES organizations (id),
    position integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX catalog_areas_name_idx
    ON catalog_areas (coalesce(county_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

INSERT INTO catalog_areas (id, name, position)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, name, n
FROM unnest(ARRAY['重大建设项目', '公共资源交易', '财政预决算', '税收管理', '城乡规划', '农村集体土地征收',
    '国有土地上房屋征收与补偿', '农村危房改造', '保障性住房', '城市综合执法', '市政服务', '生态环境',
    '公共文化服务', '扶贫', '义务教育', '卫生健康', '就业', '社会保险', '社会救助', '养老服务', '户籍管理',
    '涉农补贴', '食品药品监管', '安全生产', '救灾', '公共法律服务']) WITH ORDINALITY AS t (name, n);

CREATE TABLE catalogs (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL UNIQUE REFERENCES organizations (id),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    -- Bumped by every change of the draft items, so that publishing an unchanged draft is refused.
    draft_revision integer NOT NULL DEFAULT 0,
    published_revision integer,
    created_by uuid REFERENCES users (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog_items (
    id uuid PRIMARY KEY,
    catalog_id uuid NOT NULL REFERENCES catalogs (id) ON DELETE CASCADE,
    position integer NOT NULL,
    area_id uuid NOT NULL REFERENCES catalog_areas (id),
    item_level1 text NOT NULL,
    item_level2 text,
    content_elements text NOT NULL,
    basis text NOT NULL,
    time_limit text NOT NULL,
    owner text NOT NULL,
    channels text[] NOT NULL CHECK (cardinality(channels) >= 1),
    audience text NOT NULL CHECK (audience IN ('whole_society', 'specific_groups')),
    mode text NOT NULL CHECK (mode IN ('proactive', 'on_request')),
    level text CHECK (level IN ('county', 'township')),
    openness_category text NOT NULL CHECK (openness_category IN ('decision', 'execution', 'management', 'service', 'result')),
    UNIQUE (catalog_id, position)
);

CREATE TABLE catalog_versions (
    id uuid PRIMARY KEY,
    catalog_id uuid NOT NULL REFERENCES catalogs (id),
    number integer NOT NULL CHECK (number >= 1),
    item_count integer NOT NULL,
    -- The items as published, with their area names: never changed afterwards.
    items jsonb NOT NULL,
    published_by uuid REFERENCES users (id),
    published_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (catalog_id, number)
);

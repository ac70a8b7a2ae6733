-- The working-day calendar: each year's published schedule (days off and make-up working days).
-- A year with no row here is unpublished: the clocks use weekends and fixed-date holidays and mark
-- their dates provisional.

CREATE TABLE calendar_years (
    year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    -- The notice that published the schedule, e.g. 国办发明电〔2024〕12号.
    source text NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 200),
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_days (
    day date PRIMARY KEY,
    year integer NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('off_day', 'makeup_workday')),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 50),
    CHECK (extract(year FROM day)::integer = year),
    CHECK (kind = 'off_day' OR extract(isodow FROM day) IN (6, 7))
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);

-- 国办发明电〔2024〕12号 (2025) and the State Council notice of 2025-11-04 (2026): regulations.md §5.3–5.4.
INSERT INTO calendar_years (year, source) VALUES
    (2025, '国办发明电〔2024〕12号《国务院办公厅关于2025年部分节假日安排的通知》'),
    (2026, '《国务院办公厅关于2026年部分节假日安排的通知》（2025年11月4日）');

INSERT INTO calendar_days (day, year, kind, name)
SELECT d::date, extract(year FROM d)::integer, 'off_day', name
FROM (VALUES
    ('2025-01-01', '2025-01-01', '元旦'),
    ('2025-01-28', '2025-02-04', '春节'),
    ('2025-04-04', '2025-04-06', '清明节'),
    ('2025-05-01', '2025-05-05', '劳动节'),
    ('2025-05-31', '2025-06-02', '端午节'),
    ('2025-10-01', '2025-10-08', '国庆节、中秋节'),
    ('2026-01-01', '2026-01-03', '元旦'),
    ('2026-02-15', '2026-02-23', '春节'),
    ('2026-04-04', '2026-04-06', '清明节'),
    ('2026-05-01', '2026-05-05', '劳动节'),
    ('2026-06-19', '2026-06-21', '端午节'),
    ('2026-09-25', '2026-09-27', '中秋节'),
    ('2026-10-01', '2026-10-07', '国庆节')
) AS spans(first_day, last_day, name),
LATERAL generate_series(first_day::date, last_day::date, interval '1 day') AS d;

INSERT INTO calendar_days (day, year, kind, name) VALUES
    ('2025-01-26', 2025, 'makeup_workday', '春节'),
    ('2025-02-08', 2025, 'makeup_workday', '春节'),
    ('2025-04-27', 2025, 'makeup_workday', '劳动节'),
    ('2025-09-28', 2025, 'makeup_workday', '国庆节'),
    ('2025-10-11', 2025, 'makeup_workday', '国庆节'),
    ('2026-01-04', 2026, 'makeup_workday', '元旦'),
    ('2026-02-14', 2026, 'makeup_workday', '春节'),
    ('2026-02-28', 2026, 'makeup_workday', '春节'),
    ('2026-05-09', 2026, 'makeup_workday', '劳动节'),
    ('2026-09-20', 2026, 'makeup_workday', '国庆节'),
    ('2026-10-10', 2026, 'makeup_workday', '国庆节');

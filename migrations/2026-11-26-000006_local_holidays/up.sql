-- Days off set by local government (全国年节及纪念日放假办法 Art. 4), e.g. 彝族火把节 in 楚雄州.
-- None is seeded: a date is entered only with its source.
CREATE TABLE local_holidays (
    day date PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 50),
    source text NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Issue 11: the county of an organization (the nearest county_government at or above it) is
-- asked on almost every staff request. As a recursive query sent from the service it was parsed
-- and planned each time (a third of the database's time in a document's lifecycle,
-- bench/README.md). PL/pgSQL keeps its plan for the session, and the service's call is a
-- statement it prepares once. A walk up the parent links, one primary-key probe a level, costs
-- a third of the recursive query's time; like it, it stops after 32 levels.
CREATE FUNCTION organization_county(org_id uuid) RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    current_id uuid := org_id;
    parent uuid;
    current_kind text;
BEGIN
    FOR depth IN 0..32 LOOP
        SELECT o.parent_id, o.kind INTO parent, current_kind FROM organizations o WHERE o.id = current_id;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        IF current_kind = 'county_government' THEN
            RETURN current_id;
        END IF;
        IF parent IS NULL THEN
            RETURN NULL;
        END IF;
        current_id := parent;
    END LOOP;
    RETURN NULL;
END
$$;

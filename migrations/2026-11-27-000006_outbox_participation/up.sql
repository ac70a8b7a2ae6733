-- The change feed also carries public consultations (from opening to their results), opinion
-- releases and published catalog versions, in the same commit-ordered way (see 2026-11-27-000004).
ALTER TABLE outbox DROP CONSTRAINT outbox_event_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_event_check
    CHECK (event IN ('published', 'updated', 'repealed', 'closed', 'results_published'));

CREATE FUNCTION consultations_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'draft' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR OLD.status = 'draft' THEN
        PERFORM outbox_append('consultation', NEW.id, 'published');
    ELSIF OLD.status = 'open' AND NEW.status = 'closed' THEN
        PERFORM outbox_append('consultation', NEW.id, 'closed');
    ELSIF OLD.status <> 'results_published' AND NEW.status = 'results_published' THEN
        PERFORM outbox_append('consultation', NEW.id, 'results_published');
    ELSIF (OLD.title, OLD.draft_text, OLD.opens_at, OLD.closes_at, OLD.channels, OLD.contact, OLD.results_summary)
            IS DISTINCT FROM
          (NEW.title, NEW.draft_text, NEW.opens_at, NEW.closes_at, NEW.channels, NEW.contact, NEW.results_summary) THEN
        PERFORM outbox_append('consultation', NEW.id, 'updated');
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER consultations_outbox AFTER INSERT OR UPDATE ON consultations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION consultations_outbox();

-- Releases are public from the moment they are recorded, and never change.
CREATE FUNCTION opinion_releases_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM outbox_append('opinion_release', NEW.id, 'published');
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER opinion_releases_outbox AFTER INSERT ON opinion_releases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION opinion_releases_outbox();

-- A catalog's change is a new published version; the entity is the catalog, read at its public URL.
CREATE FUNCTION catalog_versions_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM outbox_append('catalog', NEW.catalog_id, 'published');
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER catalog_versions_outbox AFTER INSERT ON catalog_versions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_versions_outbox();

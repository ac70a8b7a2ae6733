-- The change feed for integrating systems (issue 9): every publication and later change of a
-- public record, written in the same transaction as the change, numbered in commit order.
--
-- The rows come from deferred constraint triggers, which run at commit. Each takes one advisory
-- lock before drawing its number, and the lock is released only once the transaction is visible:
-- so a reader never sees number n+1 before n, and a cursor never skips a late commit. The lock is
-- held only for the commit itself, not while the writer's transaction does its work.
CREATE SEQUENCE outbox_seq;
CREATE TABLE outbox (
    seq bigint PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id uuid NOT NULL,
    event text NOT NULL CHECK (event IN ('published', 'updated', 'repealed')),
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION outbox_append(kind text, id uuid, happened text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('gongkai.outbox'));
    INSERT INTO outbox (seq, entity_type, entity_id, event) VALUES (nextval('outbox_seq'), kind, id, happened);
END $$;

CREATE FUNCTION documents_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (NEW.status = 'published' AND NEW.disclosure IN ('public_release', 'proactive')) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM outbox_append('document', NEW.id, 'published');
        RETURN NULL;
    END IF;
    IF NOT (OLD.status = 'published' AND OLD.disclosure IN ('public_release', 'proactive')) THEN
        PERFORM outbox_append('document', NEW.id, 'published');
    ELSIF OLD.validity = 'valid' AND NEW.validity <> 'valid' THEN
        PERFORM outbox_append('document', NEW.id, 'repealed');
    ELSIF (OLD.title, OLD.body, OLD.doc_number, OLD.validity, OLD.category)
            IS DISTINCT FROM (NEW.title, NEW.body, NEW.doc_number, NEW.validity, NEW.category) THEN
        PERFORM outbox_append('document', NEW.id, 'updated');
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER documents_outbox AFTER INSERT OR UPDATE ON documents
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION documents_outbox();

CREATE FUNCTION interpretations_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'published' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM outbox_append('interpretation', NEW.id, 'published');
    ELSIF OLD.status <> 'published' THEN
        PERFORM outbox_append('interpretation', NEW.id, 'published');
    ELSIF (OLD.title, OLD.main_content, OLD.background_basis, OLD.objectives, OLD.changes)
            IS DISTINCT FROM (NEW.title, NEW.main_content, NEW.background_basis, NEW.objectives, NEW.changes) THEN
        PERFORM outbox_append('interpretation', NEW.id, 'updated');
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER interpretations_outbox AFTER INSERT OR UPDATE ON interpretations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION interpretations_outbox();

CREATE FUNCTION annual_reports_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'published' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM outbox_append('annual_report', NEW.id, 'published');
    ELSIF OLD.status <> 'published' THEN
        PERFORM outbox_append('annual_report', NEW.id, 'published');
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER annual_reports_outbox AFTER INSERT OR UPDATE ON annual_reports
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION annual_reports_outbox();

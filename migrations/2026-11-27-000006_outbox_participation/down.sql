DROP TRIGGER catalog_versions_outbox ON catalog_versions;
DROP FUNCTION catalog_versions_outbox();
DROP TRIGGER opinion_releases_outbox ON opinion_releases;
DROP FUNCTION opinion_releases_outbox();
DROP TRIGGER consultations_outbox ON consultations;
DROP FUNCTION consultations_outbox();
DELETE FROM webhook_deliveries WHERE outbox_seq IN
    (SELECT seq FROM outbox WHERE entity_type IN ('consultation', 'opinion_release', 'catalog'));
DELETE FROM outbox WHERE entity_type IN ('consultation', 'opinion_release', 'catalog');
ALTER TABLE outbox DROP CONSTRAINT outbox_event_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_event_check CHECK (event IN ('published', 'updated', 'repealed'));

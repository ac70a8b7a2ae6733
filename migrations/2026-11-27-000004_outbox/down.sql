DROP TRIGGER annual_reports_outbox ON annual_reports;
DROP FUNCTION annual_reports_outbox();
DROP TRIGGER interpretations_outbox ON interpretations;
DROP FUNCTION interpretations_outbox();
DROP TRIGGER documents_outbox ON documents;
DROP FUNCTION documents_outbox();
DROP FUNCTION outbox_append(text, uuid, text);
DROP TABLE outbox;
DROP SEQUENCE outbox_seq;

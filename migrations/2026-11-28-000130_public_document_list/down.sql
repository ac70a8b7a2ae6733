DROP TRIGGER documents_public_list_insert ON documents;
DROP TRIGGER documents_public_list_update ON documents;
DROP TRIGGER documents_public_list_delete ON documents;
DROP FUNCTION documents_public_list();
DROP FUNCTION public_document_list_write(documents);
DROP TABLE public_document_list;
DROP FUNCTION public_document_summary(documents);
DROP FUNCTION json_timestamp(timestamptz);
DROP FUNCTION json_date(date);

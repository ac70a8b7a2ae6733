DROP FUNCTION public_document_extras(uuid, text, text);

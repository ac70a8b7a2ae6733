-- The same list 1000 pages deep: the cursor is the id of the 50,000th public document, newest first
-- (bench/run passes it as :deep_cursor_id).
SELECT "public_document_list"."id", "public_document_list"."summary" FROM "public_document_list" WHERE ("public_document_list"."id" < :deep_cursor_id) ORDER BY "public_document_list"."id" DESC LIMIT :lim;

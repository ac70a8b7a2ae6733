-- The SELECT behind GET /api/v1/public/documents?limit=50 (persistence::public::list_documents): 51 rows
-- to know whether a next page exists, each the document's list item as kept JSON (public_document_list).
SELECT "public_document_list"."id", "public_document_list"."summary" FROM "public_document_list" ORDER BY "public_document_list"."id" DESC LIMIT :lim;

-- The one statement GET /api/v1/public/documents/{id} runs (since issue 11's single-statement
-- read): the public columns of the document's row and, kept in document_page_extras, its public files and published
-- interpretations as JSON (NULL for the documents that have none).
-- A public document at random: document n is public unless n % 7 = 0, and its id is computed
-- from n exactly as bench/seed.py makes it (pgbench has no uuid variables). bench/run passes
-- :step, :public_docs and the statement's constants (:published, :public_attrs, ...), which
-- -M prepared sends as parameters, as diesel does.
\set m random(1, :public_docs)
\set n :m + (:m - 1) / 6
\set ts 1546300800000 + :n * :step
SELECT "documents"."id", "documents"."doc_number", "documents"."title", "documents"."issuing_org_id", "documents"."issuing_authority", "documents"."category", "documents"."doc_kind", "documents"."is_policy", "documents"."formed_on", "documents"."published_at", "documents"."validity", "documents"."validity_changed_on", "documents"."validity_reason", "documents"."body", (SELECT "document_page_extras"."extras" FROM "document_page_extras" WHERE ("document_page_extras"."document_id" = "documents"."id") LIMIT :one) FROM "documents" WHERE (("documents"."id" = (substr(lpad(to_hex(:ts::bigint), 12, '0'), 1, 8) || '-' || substr(lpad(to_hex(:ts::bigint), 12, '0'), 9, 4) || '-7000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid) AND (("documents"."status" = :published) AND ("documents"."disclosure" = ANY(:public_attrs)))) LIMIT :one;

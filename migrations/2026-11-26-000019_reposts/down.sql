DROP TABLE repost_obligations;
DROP TABLE higher_documents;

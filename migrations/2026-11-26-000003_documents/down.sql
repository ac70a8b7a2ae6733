DROP TABLE breaches;
DROP TABLE interpretations;
DROP TABLE experts;
DROP TABLE document_confirmations;
DROP TABLE document_reviews;
DROP TABLE document_returns;
DROP TABLE documents;

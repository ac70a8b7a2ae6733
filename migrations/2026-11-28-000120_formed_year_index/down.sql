DROP INDEX documents_formed_year_idx;
DROP FUNCTION formed_year(date);

DROP TRIGGER annual_reports_immutable ON annual_reports;
DROP FUNCTION annual_reports_immutable();
DROP TABLE annual_reports;
DROP TABLE legal_challenges;
DROP TABLE annual_report_settings;
DROP TABLE breach_decisions;
DROP INDEX breaches_found_idx;
DROP INDEX breaches_kind_idx;
ALTER TABLE breaches DROP COLUMN recorded_by;

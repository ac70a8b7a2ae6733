DROP TABLE training_attendance;
DROP TABLE training_sessions;
DROP TABLE training_plans;
DROP TABLE work_report_hearings;
DROP TABLE work_priorities;
ALTER TABLE organizations DROP COLUMN openness_deputy_duties, DROP COLUMN principal_duties;

DROP TABLE open_day_registrations;
DROP TABLE open_days;

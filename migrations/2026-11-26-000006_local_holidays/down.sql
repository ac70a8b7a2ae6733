DROP TABLE local_holidays;

DROP TABLE evaluation_scores;
DROP TABLE evaluation_periods;
DROP TABLE evaluation_indicators;
DROP TABLE evaluation_systems;
DROP TABLE evaluation_settings;

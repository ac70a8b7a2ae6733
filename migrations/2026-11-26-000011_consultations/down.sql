DROP TABLE consultation_settings;
DROP TABLE consultation_comments;
DROP TABLE consultation_clusters;
DROP TABLE consultations;

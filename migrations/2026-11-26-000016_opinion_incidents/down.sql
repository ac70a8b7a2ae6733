DROP TABLE opinion_referrals;
DROP TABLE opinion_releases;
DROP TABLE opinion_clocks;
DROP TABLE opinion_incidents;
DROP TABLE opinion_settings;

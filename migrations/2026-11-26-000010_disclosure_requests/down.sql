DROP TABLE personal_data_key_check;
DROP TABLE request_events;
DROP TABLE request_replies;
DROP TABLE request_fee_notices;
DROP TABLE request_consultations;
DROP TABLE disclosure_requests;
DROP TABLE request_settings;

DROP TABLE public_messages;
DROP TABLE participation_settings;

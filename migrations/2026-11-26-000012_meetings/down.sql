DROP TABLE meeting_topics;
DROP TABLE meetings;

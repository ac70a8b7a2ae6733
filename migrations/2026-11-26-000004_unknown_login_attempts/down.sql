DROP TABLE unknown_login_attempts;

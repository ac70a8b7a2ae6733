DROP FUNCTION organization_county(uuid);

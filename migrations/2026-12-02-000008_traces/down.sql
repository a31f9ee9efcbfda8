DROP TABLE org_settings;
DROP INDEX agents_by_name;
ALTER TABLE agents DROP COLUMN discovered;

DROP TABLE attestations;
DROP TABLE signing_keys;
DROP FUNCTION signing_keys_retire_only();

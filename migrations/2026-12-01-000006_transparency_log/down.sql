DROP INDEX events_back_dated;
ALTER TABLE events DROP COLUMN lag_seconds;
DROP TABLE log_checkpoints;
DROP TABLE log_keys;
DROP TABLE log_hashes;
DROP TABLE log_leaves;
DROP TABLE log_heads;
DROP FUNCTION log_heads_grow_only();

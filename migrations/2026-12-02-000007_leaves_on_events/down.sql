CREATE TABLE log_hashes (
    org_id uuid NOT NULL,
    hash_index bigint NOT NULL CHECK (hash_index >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (org_id, hash_index)
);
INSERT INTO log_hashes (org_id, hash_index, hash)
    SELECT r.org_id, r.first_index + i, substring(r.hashes FROM i * 32 + 1 FOR 32)
    FROM log_hash_runs r, generate_series(0, length(r.hashes) / 32 - 1) AS i;
DROP TABLE log_hash_runs;
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
ALTER TABLE log_hashes ENABLE ALWAYS TRIGGER log_hashes_append_only;
CREATE TRIGGER log_hashes_no_truncate BEFORE TRUNCATE ON log_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE log_hashes ENABLE ALWAYS TRIGGER log_hashes_no_truncate;
ALTER TABLE log_hashes ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_hashes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON log_hashes USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON log_hashes TO compliance_app;

CREATE TABLE log_leaves (
    org_id uuid NOT NULL,
    leaf_index bigint NOT NULL CHECK (leaf_index >= 0),
    event_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    PRIMARY KEY (org_id, leaf_index),
    UNIQUE (org_id, event_id)
);
CREATE INDEX log_leaves_by_asset ON log_leaves (org_id, asset_id);
-- Only the leaves whose hashes are stored; the rest are backfilled again.
INSERT INTO log_leaves (org_id, leaf_index, event_id, asset_id)
    SELECT e.org_id, e.leaf_index, e.id, e.asset_id
    FROM events e JOIN log_heads h ON h.org_id = e.org_id
    WHERE e.leaf_index < h.hashed;
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
ALTER TABLE log_leaves ENABLE ALWAYS TRIGGER log_leaves_append_only;
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE log_leaves ENABLE ALWAYS TRIGGER log_leaves_no_truncate;
ALTER TABLE log_leaves ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_leaves FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON log_leaves USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON log_leaves TO compliance_app;

DROP TABLE log_asset_leaves;
DROP FUNCTION log_asset_leaves_grow_only();

ALTER TABLE log_heads DISABLE TRIGGER log_heads_grow_only;
ALTER TABLE log_heads ADD COLUMN backfilled boolean NOT NULL DEFAULT false;
UPDATE log_heads SET size = hashed, backfilled = (hashed = size);
ALTER TABLE log_heads DROP COLUMN hashed;
CREATE OR REPLACE FUNCTION log_heads_grow_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.org_id <> OLD.org_id OR NEW.size < OLD.size
       OR (OLD.backfilled AND NOT NEW.backfilled) THEN
        RAISE EXCEPTION 'a log only grows' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
ALTER TABLE log_heads ENABLE ALWAYS TRIGGER log_heads_grow_only;
GRANT UPDATE (size, backfilled) ON log_heads TO compliance_app;

DROP INDEX events_by_leaf;
ALTER TABLE events DROP COLUMN leaf_index;

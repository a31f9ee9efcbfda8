-- One transparency log per org (docs/log.md): every event a leaf, in acceptance order, with
-- gapless indexes; the tree's stored hashes (Go tlog's layout: each leaf hash and every complete
-- subtree's), from which every root and proof is O(log n) reads; the org's Ed25519 log key,
-- sealed like its signing keys; and the checkpoints signed over it.

-- The log's size: the row appenders lock, so that leaf indexes are gapless and a rolled-back
-- transaction leaves no leaf.
CREATE TABLE log_heads (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    -- Events stored before the log existed have been appended (in acceptance order).
    backfilled boolean NOT NULL DEFAULT false
);
-- A log only grows.
CREATE FUNCTION log_heads_grow_only() RETURNS trigger
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
CREATE TRIGGER log_heads_grow_only BEFORE UPDATE OR DELETE ON log_heads
    FOR EACH ROW EXECUTE FUNCTION log_heads_grow_only();

-- Which event each leaf is, and its asset's: a generation checks that the agent has exactly as
-- many events as leaves, counting one asset's, not the org's.
CREATE TABLE log_leaves (
    org_id uuid NOT NULL,
    leaf_index bigint NOT NULL CHECK (leaf_index >= 0),
    event_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    PRIMARY KEY (org_id, leaf_index),
    UNIQUE (org_id, event_id)
);
CREATE INDEX log_leaves_by_asset ON log_leaves (org_id, asset_id);

-- The tree's stored hashes, by Go tlog's stored hash index.
CREATE TABLE log_hashes (
    org_id uuid NOT NULL,
    hash_index bigint NOT NULL CHECK (hash_index >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (org_id, hash_index)
);

-- The org's log key: Ed25519, its seed sealed under the key-sealing key.
CREATE TABLE log_keys (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    -- The note key name: the checkpoints' origin.
    name text NOT NULL,
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    sealed_private_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Every checkpoint signed: the C2SP signed note, as served.
CREATE TABLE log_checkpoints (
    org_id uuid NOT NULL,
    tree_size bigint NOT NULL CHECK (tree_size >= 0),
    root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
    note text NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, tree_size)
);

CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER log_keys_append_only BEFORE UPDATE OR DELETE ON log_keys
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['log_heads', 'log_leaves', 'log_hashes', 'log_keys', 'log_checkpoints'] LOOP
        EXECUTE format('CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON %1$s
                        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()', t);
        EXECUTE format('ALTER TABLE %1$s ENABLE ALWAYS TRIGGER %1$s_no_truncate', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = app_org_id())
                        WITH CHECK (org_id = app_org_id())', t);
        EXECUTE format('GRANT SELECT, INSERT ON %I TO compliance_app', t);
    END LOOP;
END
$$;
ALTER TABLE log_heads ENABLE ALWAYS TRIGGER log_heads_grow_only;
ALTER TABLE log_leaves ENABLE ALWAYS TRIGGER log_leaves_append_only;
ALTER TABLE log_hashes ENABLE ALWAYS TRIGGER log_hashes_append_only;
ALTER TABLE log_keys ENABLE ALWAYS TRIGGER log_keys_append_only;
ALTER TABLE log_checkpoints ENABLE ALWAYS TRIGGER log_checkpoints_append_only;
GRANT UPDATE (size, backfilled) ON log_heads TO compliance_app;

-- How long after its declared time an event was accepted; back-dated entries (more than the
-- package tolerance, 900 s) are few, so a partial index finds them without reading the trail.
ALTER TABLE events ADD COLUMN lag_seconds double precision
    GENERATED ALWAYS AS (date_part('epoch', accepted_at - declared_at)) STORED;
CREATE INDEX events_back_dated ON events (org_id, asset_id, occurred_at) INCLUDE (lag_seconds)
    WHERE lag_seconds > 900;

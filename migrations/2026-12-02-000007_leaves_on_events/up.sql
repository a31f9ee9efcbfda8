-- The log made cheaper to append to (docs/log.md, docs/performance.md): each event carries its
-- own leaf index, instead of a row of log_leaves beside it; the tree's stored hashes are kept as
-- runs, one row per append instead of one per hash; each asset's leaves are counted in a row of
-- its own, which a generation's whole-trail check compares with the agent's events.

-- Every append now locks the org's log head before it inserts (so it knows its leaf indexes);
-- events that predate the log get indexes here, in acceptance order, and their hashes on the
-- org's next append (`hashed` counts the leaves whose hashes are stored).
-- The owner moves every org's rows: row-level security, FORCEd on these tables, is lifted for the
-- owner while it does (a superuser bypasses it anyway; an owner without BYPASSRLS would otherwise
-- see no rows and move nothing), and put back below.
ALTER TABLE events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE log_heads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE log_leaves NO FORCE ROW LEVEL SECURITY;
ALTER TABLE log_hashes NO FORCE ROW LEVEL SECURITY;

ALTER TABLE events ADD COLUMN leaf_index bigint CHECK (leaf_index >= 0);
ALTER TABLE log_heads ADD COLUMN hashed bigint NOT NULL DEFAULT 0 CHECK (hashed >= 0);

ALTER TABLE events DISABLE TRIGGER events_append_only;
UPDATE events e SET leaf_index = l.leaf_index
    FROM log_leaves l WHERE l.org_id = e.org_id AND l.event_id = e.id;
-- An org not backfilled yet has no leaf: all its events, in acceptance order.
UPDATE events e SET leaf_index = n.leaf_index
    FROM (SELECT org_id, id, row_number() OVER (PARTITION BY org_id ORDER BY seq) - 1 AS leaf_index
          FROM events
          WHERE org_id NOT IN (SELECT org_id FROM log_heads WHERE backfilled)) AS n
    WHERE n.org_id = e.org_id AND n.id = e.id;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only;
CREATE UNIQUE INDEX events_by_leaf ON events (org_id, leaf_index);

ALTER TABLE log_heads DISABLE TRIGGER log_heads_grow_only;
UPDATE log_heads SET hashed = size WHERE backfilled;
INSERT INTO log_heads (org_id, size, hashed)
    SELECT org_id, count(*), 0 FROM events WHERE leaf_index IS NOT NULL GROUP BY org_id
    ON CONFLICT (org_id) DO UPDATE SET size = EXCLUDED.size, hashed = 0
    WHERE NOT log_heads.backfilled;
ALTER TABLE log_heads DROP COLUMN backfilled;
ALTER TABLE log_heads ADD CHECK (hashed <= size);
CREATE OR REPLACE FUNCTION log_heads_grow_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.org_id <> OLD.org_id OR NEW.size < OLD.size
       OR NEW.hashed < OLD.hashed THEN
        RAISE EXCEPTION 'a log only grows' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
ALTER TABLE log_heads ENABLE ALWAYS TRIGGER log_heads_grow_only;
GRANT UPDATE (size, hashed) ON log_heads TO compliance_app;

-- How many leaves each asset has: what its events must number.
CREATE TABLE log_asset_leaves (
    org_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    leaves bigint NOT NULL CHECK (leaves > 0),
    PRIMARY KEY (org_id, asset_id)
);
-- A kept log counts its own leaves (an event deleted before the upgrade left its leaf, and the
-- count still finds the hole); an org without one counts the events just indexed.
INSERT INTO log_asset_leaves (org_id, asset_id, leaves)
    SELECT org_id, asset_id, count(*) FROM log_leaves GROUP BY org_id, asset_id
    UNION ALL
    SELECT e.org_id, e.asset_id, count(*) FROM events e
    WHERE e.leaf_index IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.org_id = e.org_id)
    GROUP BY e.org_id, e.asset_id;
CREATE FUNCTION log_asset_leaves_grow_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.org_id <> OLD.org_id OR NEW.asset_id <> OLD.asset_id
       OR NEW.leaves < OLD.leaves THEN
        RAISE EXCEPTION 'a log only grows' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER log_asset_leaves_grow_only BEFORE UPDATE OR DELETE ON log_asset_leaves
    FOR EACH ROW EXECUTE FUNCTION log_asset_leaves_grow_only();
ALTER TABLE log_asset_leaves ENABLE ALWAYS TRIGGER log_asset_leaves_grow_only;
CREATE TRIGGER log_asset_leaves_no_truncate BEFORE TRUNCATE ON log_asset_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE log_asset_leaves ENABLE ALWAYS TRIGGER log_asset_leaves_no_truncate;
ALTER TABLE log_asset_leaves ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_asset_leaves FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON log_asset_leaves USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON log_asset_leaves TO compliance_app;
GRANT UPDATE (leaves) ON log_asset_leaves TO compliance_app;

DROP TABLE log_leaves;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE log_heads FORCE ROW LEVEL SECURITY;

-- The tree's stored hashes as runs: each append writes the hashes it adds, in stored-hash-index
-- order, as one row. A batch of 10,000 entries writes one row of about 20,000 hashes rather than
-- 20,000 rows; a proof still reads O(log n) hashes, each a slice of the run that holds it.
CREATE TABLE log_hash_runs (
    org_id uuid NOT NULL,
    -- The stored hash index of the run's first hash.
    first_index bigint NOT NULL CHECK (first_index >= 0),
    -- Consecutive 32-byte hashes from first_index on.
    hashes bytea NOT NULL CHECK (length(hashes) > 0 AND length(hashes) % 32 = 0),
    PRIMARY KEY (org_id, first_index)
);
-- Uncompressed out of line: SHA-256 output does not compress, and a slice of an uncompressed
-- value is read without the rest of it.
ALTER TABLE log_hash_runs ALTER COLUMN hashes SET STORAGE EXTERNAL;

-- The hashes stored one per row so far become runs of at most 2^20 hashes (32 MiB) each; they
-- are gapless from 0.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM log_hashes GROUP BY org_id HAVING count(*) <> max(hash_index) + 1) THEN
        RAISE EXCEPTION 'a log''s stored hashes have a gap';
    END IF;
END
$$;
INSERT INTO log_hash_runs (org_id, first_index, hashes)
    SELECT org_id, min(hash_index), string_agg(hash, ''::bytea ORDER BY hash_index)
    FROM log_hashes GROUP BY org_id, hash_index / 1048576;
DROP TABLE log_hashes;

CREATE TRIGGER log_hash_runs_append_only BEFORE UPDATE OR DELETE ON log_hash_runs
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
ALTER TABLE log_hash_runs ENABLE ALWAYS TRIGGER log_hash_runs_append_only;
CREATE TRIGGER log_hash_runs_no_truncate BEFORE TRUNCATE ON log_hash_runs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE log_hash_runs ENABLE ALWAYS TRIGGER log_hash_runs_no_truncate;
ALTER TABLE log_hash_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_hash_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON log_hash_runs USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON log_hash_runs TO compliance_app;

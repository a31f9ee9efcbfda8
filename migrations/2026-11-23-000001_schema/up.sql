-- The tenant role: every tenant transaction runs under it (SET LOCAL ROLE). It is not a
-- superuser, cannot bypass row-level security and owns nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'compliance_app') THEN
        CREATE ROLE compliance_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT compliance_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO compliance_app;

-- The org a tenant transaction is bound to; NULL when unset ('' reads as unset). PARALLEL
-- SAFE (parallel workers receive the leader's settings), else no tenant query could go parallel.
CREATE FUNCTION app_org_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;

-- Raises on UPDATE or DELETE: for append-only tables.
CREATE FUNCTION refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    org_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL,
    -- SHA-256 of the secret; the secret itself is never stored.
    secret_sha256 bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    role text NOT NULL CHECK (role IN ('admin', 'deployer', 'auditor', 'viewer')),
    revoked boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (id)
);

CREATE TABLE assets (
    org_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL,
    -- Creation attributes: the base that events' asset_attributes update.
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    behaviours text[] NOT NULL DEFAULT '{}',
    -- The creation attributes updated by every event, in time order (kept by a trigger).
    current_attributes jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX assets_by_creation ON assets (org_id, seq);
CREATE INDEX assets_by_attributes ON assets USING gin (current_attributes jsonb_path_ops);

CREATE FUNCTION assets_start_current() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.current_attributes := NEW.attributes;
    RETURN NEW;
END
$$;
CREATE TRIGGER assets_start_current BEFORE INSERT ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_start_current();

-- Object merge, later keys winning: folds asset_attributes in time order.
CREATE AGGREGATE jsonb_merge(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');

-- An asset's events, and an agent's audit trail: one table for both.
CREATE TABLE events (
    org_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    id uuid NOT NULL,
    -- Total order of acceptance: breaks ties between events at the same instant.
    seq bigint GENERATED ALWAYS AS IDENTITY,
    display_type text NOT NULL,
    correlation_value text,
    declared_at timestamptz,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    -- The event's time for every policy: declared when given, else accepted.
    occurred_at timestamptz NOT NULL GENERATED ALWAYS AS (COALESCE(declared_at, accepted_at)) STORED,
    operation text NOT NULL DEFAULT 'Record',
    behaviour text NOT NULL DEFAULT 'RecordEvidence',
    event_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(event_attributes) = 'object'),
    asset_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(asset_attributes) = 'object'),
    sets_attributes boolean NOT NULL GENERATED ALWAYS AS (asset_attributes <> '{}'::jsonb) STORED,
    principal_declared jsonb NOT NULL DEFAULT '{}',
    -- Audit-trail columns (seed 000), NULL for plain archivist events.
    connector text,
    target_resource text,
    policy_verdict text CHECK (policy_verdict IN ('PERMIT', 'ESCALATE', 'DENY')),
    status text CHECK (status IN ('success', 'error', 'blocked')),
    duration_ms bigint CHECK (duration_ms >= 0),
    metadata jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
);
-- SINCE (newest of a type), pairing (every event of two types), windows (closings since t).
CREATE INDEX events_by_type ON events (org_id, asset_id, display_type, occurred_at, seq);
-- DYNAMIC_TOLERANCE: every event sharing a correlation value with a closing in the window.
CREATE INDEX events_by_correlation ON events (org_id, asset_id, correlation_value, display_type)
    WHERE correlation_value IS NOT NULL;
-- The asset's attributes at a time: only events that set some.
CREATE INDEX events_setting_attributes ON events (org_id, asset_id, occurred_at, seq)
    WHERE sets_attributes;
-- Listing an asset's events or an agent's trail, newest first.
CREATE INDEX events_by_time ON events (org_id, asset_id, occurred_at DESC, seq DESC);
-- Package figures: one index-only GROUP BY over an agent's trail.
CREATE INDEX events_figures ON events
    (org_id, asset_id, display_type, connector, policy_verdict, status, occurred_at);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Keeps assets.current_attributes: merge when the new event is the latest, else fold again.
CREATE FUNCTION events_apply_attributes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Lock the asset first, so that the check below sees every committed event.
    PERFORM 1 FROM assets WHERE org_id = NEW.org_id AND id = NEW.asset_id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM events
               WHERE org_id = NEW.org_id AND asset_id = NEW.asset_id AND sets_attributes
                 AND (occurred_at, seq) > (NEW.occurred_at, NEW.seq)) THEN
        UPDATE assets SET current_attributes = attributes || (
            SELECT jsonb_merge(asset_attributes ORDER BY occurred_at, seq) FROM events
            WHERE org_id = NEW.org_id AND asset_id = NEW.asset_id AND sets_attributes)
        WHERE org_id = NEW.org_id AND id = NEW.asset_id;
    ELSE
        UPDATE assets SET current_attributes = current_attributes || NEW.asset_attributes
        WHERE org_id = NEW.org_id AND id = NEW.asset_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_apply_attributes AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.sets_attributes) EXECUTE FUNCTION events_apply_attributes();

CREATE TABLE compliance_policies (
    org_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    compliance_type text NOT NULL,
    display_name text NOT NULL,
    description text NOT NULL DEFAULT '',
    asset_filter jsonb NOT NULL DEFAULT '[]',
    event_display_type text NOT NULL DEFAULT '',
    closing_event_display_type text NOT NULL DEFAULT '',
    time_period_seconds bigint NOT NULL DEFAULT 0,
    dynamic_window bigint NOT NULL DEFAULT 0,
    dynamic_variability double precision NOT NULL DEFAULT 0,
    richness_assertions jsonb NOT NULL DEFAULT '[]',
    -- SOC 2 criteria this policy evidences in compliance packages (an extension).
    controls text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);
CREATE INDEX compliance_policies_by_creation ON compliance_policies (org_id, seq);

-- An agent is an asset (same id) whose arc_display_type is 'AI Agent'; this adds its intent.
CREATE TABLE agents (
    org_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    permitted_systems text[] NOT NULL DEFAULT '{}',
    permitted_actions text[] NOT NULL DEFAULT '{}',
    permitted_data_types text[] NOT NULL DEFAULT '{}',
    max_actions_per_hour integer CHECK (max_actions_per_hour > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, id) REFERENCES assets (org_id, id)
);
CREATE INDEX agents_by_creation ON agents (org_id, seq);

CREATE TABLE connectors (
    org_id uuid NOT NULL,
    id uuid NOT NULL,
    agent_id uuid NOT NULL,
    connector_type text NOT NULL,
    vendor text NOT NULL,
    purpose text NOT NULL DEFAULT '',
    data_categories text[] NOT NULL DEFAULT '{}',
    region text NOT NULL DEFAULT '',
    permitted_operations text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);
CREATE INDEX connectors_by_agent ON connectors (org_id, agent_id, seq);

CREATE TABLE policy_rules (
    org_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL,
    name text NOT NULL,
    agent_id uuid,
    rule_type text NOT NULL CHECK (rule_type IN ('permit', 'deny', 'escalate')),
    connector text NOT NULL,
    action_pattern text NOT NULL,
    risk_threshold integer NOT NULL CHECK (risk_threshold BETWEEN 0 AND 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);
CREATE INDEX policy_rules_by_agent ON policy_rules (org_id, agent_id, seq);

CREATE TABLE compliance_packages (
    org_id uuid NOT NULL,
    id uuid NOT NULL,
    agent_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    generated_by uuid NOT NULL,
    generated_at timestamptz NOT NULL,
    content jsonb NOT NULL,
    -- SHA-256 of the canonical JSON of the sealed package (content, version, previous hash…).
    content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    -- The previous version's content_sha256; '' for version 1.
    previous_sha256 text NOT NULL CHECK (previous_sha256 ~ '^([0-9a-f]{64})?$'),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, agent_id, version),
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id),
    CHECK ((version = 1) = (previous_sha256 = ''))
);
CREATE INDEX compliance_packages_newest ON compliance_packages (org_id, generated_at DESC, id);
CREATE TRIGGER compliance_packages_append_only BEFORE UPDATE OR DELETE ON compliance_packages
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Row-level security: one policy per table, on the org the transaction is bound to.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_tokens', 'assets', 'events', 'compliance_policies', 'agents',
                             'connectors', 'policy_rules', 'compliance_packages']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = app_org_id()) '
                       'WITH CHECK (org_id = app_org_id())', t);
    END LOOP;
END
$$;
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations USING (id = app_org_id()) WITH CHECK (id = app_org_id());

-- What the tenant role may do: read and append everywhere; delete policies; nothing else.
GRANT SELECT ON organizations, api_tokens TO compliance_app;
GRANT SELECT, INSERT ON assets, events, compliance_policies, agents, connectors, policy_rules,
    compliance_packages TO compliance_app;
GRANT DELETE ON compliance_policies TO compliance_app;
GRANT UPDATE (current_attributes) ON assets TO compliance_app;
REVOKE UPDATE, DELETE, TRUNCATE ON events, compliance_packages FROM compliance_app;

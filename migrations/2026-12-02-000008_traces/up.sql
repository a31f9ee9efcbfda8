-- OTLP ingestion (docs/ingest.md): agents that sent traces without being registered, and each
-- org's choice to keep tools' arguments and results (digests only, by default).

-- An agent first seen in its traces, never registered: "which agents run that nobody declared?"
ALTER TABLE agents ADD COLUMN discovered boolean NOT NULL DEFAULT false;
CREATE INDEX agents_by_name ON agents (org_id, name);

CREATE TABLE org_settings (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    -- Keep tools' arguments and results as text in audit entries (else their SHA-256 only).
    keep_tool_payloads boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE org_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_settings USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON org_settings TO compliance_app;
GRANT UPDATE (keep_tool_payloads, updated_at) ON org_settings TO compliance_app;

-- Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a POST's outcome, stored in the
-- transaction that made it, so a retried request answers the stored outcome instead of writing
-- again. Per org, under row-level security like every tenant table.
CREATE TABLE idempotency_keys (
    org_id uuid NOT NULL REFERENCES organizations (id),
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the method, path and body: the same key with another request is refused.
    request_sha256 text NOT NULL,
    status smallint NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
-- Expired keys are purged by age, across orgs, by the schema owner.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON idempotency_keys TO compliance_app;

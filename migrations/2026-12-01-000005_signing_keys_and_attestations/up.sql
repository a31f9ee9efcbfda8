-- Each org's signing keys (ECDSA P-256) and each package's signed attestation (a DSSE envelope).
-- A private key is stored only sealed (XChaCha20-Poly1305 under a server key kept outside the
-- database, the org and key id as associated data): a reader of this table learns no key.

CREATE TABLE signing_keys (
    org_id uuid NOT NULL REFERENCES organizations (id),
    -- Lower-case hex SHA-256 of the public key's SubjectPublicKeyInfo DER.
    key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{64}$'),
    public_key bytea NOT NULL,
    sealed_private_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Rotated out: still published (old attestations verify with it), no longer signing.
    retired_at timestamptz,
    PRIMARY KEY (org_id, key_id)
);
-- One key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (org_id) WHERE retired_at IS NULL;

-- A key never changes but for being retired, once.
CREATE FUNCTION signing_keys_retire_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.retired_at IS NOT NULL OR NEW.retired_at IS NULL
       OR (NEW.org_id, NEW.key_id, NEW.public_key, NEW.sealed_private_key, NEW.created_at)
          IS DISTINCT FROM (OLD.org_id, OLD.key_id, OLD.public_key, OLD.sealed_private_key, OLD.created_at) THEN
        RAISE EXCEPTION 'a signing key is only ever retired, once' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER signing_keys_retire_only BEFORE UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION signing_keys_retire_only();
CREATE TRIGGER signing_keys_no_truncate BEFORE TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE signing_keys ENABLE ALWAYS TRIGGER signing_keys_retire_only;
ALTER TABLE signing_keys ENABLE ALWAYS TRIGGER signing_keys_no_truncate;
ALTER TABLE signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE signing_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON signing_keys USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON signing_keys TO compliance_app;
GRANT UPDATE (retired_at) ON signing_keys TO compliance_app;

-- A package's attestation, made in the transaction that generates the package.
CREATE TABLE attestations (
    org_id uuid NOT NULL,
    package_id uuid PRIMARY KEY,
    key_id text NOT NULL,
    -- The DSSE envelope's JSON, as served.
    envelope text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, package_id) REFERENCES compliance_packages (org_id, id),
    FOREIGN KEY (org_id, key_id) REFERENCES signing_keys (org_id, key_id)
);
CREATE TRIGGER attestations_append_only BEFORE UPDATE OR DELETE ON attestations
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER attestations_no_truncate BEFORE TRUNCATE ON attestations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE attestations ENABLE ALWAYS TRIGGER attestations_append_only;
ALTER TABLE attestations ENABLE ALWAYS TRIGGER attestations_no_truncate;
ALTER TABLE attestations ENABLE ROW LEVEL SECURITY;
ALTER TABLE attestations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON attestations USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON attestations TO compliance_app;

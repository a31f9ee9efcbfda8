-- Immutability that holds: TRUNCATE refused, guards that a replication-role session still meets,
-- generation entries that must name a stored package, and the stored PDFs of packages.

-- Row triggers do not fire on TRUNCATE: refuse it per statement (refuse_change names TG_OP).
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER compliance_packages_no_truncate BEFORE TRUNCATE ON compliance_packages
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- A compliance.generated entry is the trail's witness of a version: it must name a stored
-- package of its agent with the same version and seal, so a forged entry cannot raise a false
-- alarm in the chain check. Text comparisons: a malformed value is refused, not a cast error.
CREATE FUNCTION events_check_generated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM compliance_packages p
                   WHERE p.org_id = NEW.org_id AND p.agent_id = NEW.asset_id
                     AND p.id::text = NEW.metadata->>'package_id'
                     AND p.version::text = NEW.metadata->>'version'
                     AND p.content_sha256 = NEW.metadata->>'content_sha256') THEN
        RAISE EXCEPTION 'a compliance.generated entry must name a stored package of its agent '
                        '(metadata package_id, version and content_sha256)'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_generated_names_a_package BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.display_type = 'compliance.generated')
    EXECUTE FUNCTION events_check_generated();

-- A package's rendered PDF: the package never changes, so it is rendered once and kept.
CREATE TABLE package_pdfs (
    org_id uuid NOT NULL,
    package_id uuid PRIMARY KEY,
    pdf bytea NOT NULL,
    -- Lower-case hex SHA-256 of pdf, checked when it is read back.
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Composite: the PDF belongs to the package's own org (packages are keyed by org and id).
    FOREIGN KEY (org_id, package_id) REFERENCES compliance_packages (org_id, id)
);
CREATE TRIGGER package_pdfs_append_only BEFORE UPDATE OR DELETE ON package_pdfs
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER package_pdfs_no_truncate BEFORE TRUNCATE ON package_pdfs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
ALTER TABLE package_pdfs ENABLE ROW LEVEL SECURITY;
ALTER TABLE package_pdfs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON package_pdfs USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT ON package_pdfs TO compliance_app;
REVOKE UPDATE, DELETE, TRUNCATE ON package_pdfs FROM compliance_app;

-- ALWAYS: the guards fire in a session_replication_role = replica session too; only an
-- explicit ALTER TABLE … DISABLE TRIGGER by the owner switches them off.
ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_generated_names_a_package;
ALTER TABLE compliance_packages ENABLE ALWAYS TRIGGER compliance_packages_append_only;
ALTER TABLE compliance_packages ENABLE ALWAYS TRIGGER compliance_packages_no_truncate;
ALTER TABLE package_pdfs ENABLE ALWAYS TRIGGER package_pdfs_append_only;
ALTER TABLE package_pdfs ENABLE ALWAYS TRIGGER package_pdfs_no_truncate;

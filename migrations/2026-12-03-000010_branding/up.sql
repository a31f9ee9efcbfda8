-- Each org's branding (docs/ui.md): the name it goes by, its accent colour, its logo. The logo
-- is stored here, under the org's row-level security like everything else, never as a URL: what
-- the pages serve (the PNG as uploaded, or the SVG as the server wrote it back) and the raster
-- the PDF's title page embeds (a PNG on white). The server checks both before they are stored;
-- the database holds the caps.
CREATE TABLE org_branding (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    display_name text CHECK (char_length(display_name) BETWEEN 1 AND 120),
    accent_colour text CHECK (accent_colour ~ '^#[0-9a-f]{6}$'),
    logo_media_type text CHECK (logo_media_type IN ('image/png', 'image/svg+xml')),
    logo bytea CHECK (octet_length(logo) BETWEEN 1 AND 262144),
    logo_raster bytea CHECK (octet_length(logo_raster) BETWEEN 1 AND 4194304),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((logo_media_type IS NULL) = (logo IS NULL) AND (logo IS NULL) = (logo_raster IS NULL))
);
ALTER TABLE org_branding ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_branding FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_branding USING (org_id = app_org_id())
    WITH CHECK (org_id = app_org_id());
GRANT SELECT, INSERT, UPDATE ON org_branding TO compliance_app;

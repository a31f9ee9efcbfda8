-- Secrets the servers sharing this database agree on (the key that seals page tokens, the
-- tenant role's password): made once by the first server that needs one, read by the others.
-- The schema owner's alone: the tenant role may not read them, and no row-level policy is
-- needed because no tenant role has any privilege on the table.
CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL CHECK (octet_length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON server_secrets FROM PUBLIC;
REVOKE ALL ON server_secrets FROM compliance_app;

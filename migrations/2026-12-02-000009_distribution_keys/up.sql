-- Every org-held table's keys lead with org_id (docs/scaling.md): what Citus needs to distribute
-- the tables by org_id, colocated, with every key and foreign key checked within one shard.
-- A package's PDF and its attestation were keyed by the package id alone.
ALTER TABLE package_pdfs DROP CONSTRAINT package_pdfs_pkey;
ALTER TABLE package_pdfs ADD PRIMARY KEY (org_id, package_id);
ALTER TABLE attestations DROP CONSTRAINT attestations_pkey;
ALTER TABLE attestations ADD PRIMARY KEY (org_id, package_id);

ALTER TABLE attestations DROP CONSTRAINT attestations_pkey;
ALTER TABLE attestations ADD PRIMARY KEY (package_id);
ALTER TABLE package_pdfs DROP CONSTRAINT package_pdfs_pkey;
ALTER TABLE package_pdfs ADD PRIMARY KEY (package_id);

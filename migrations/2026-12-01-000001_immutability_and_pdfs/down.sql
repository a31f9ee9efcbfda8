ALTER TABLE compliance_packages ENABLE TRIGGER compliance_packages_append_only;
ALTER TABLE events ENABLE TRIGGER events_append_only;
DROP TABLE package_pdfs;
DROP TRIGGER events_generated_names_a_package ON events;
DROP FUNCTION events_check_generated();
DROP TRIGGER compliance_packages_no_truncate ON compliance_packages;
DROP TRIGGER events_no_truncate ON events;

DROP TABLE compliance_packages, policy_rules, connectors, agents, compliance_policies, events,
    assets, api_tokens, organizations;
DROP AGGREGATE jsonb_merge(jsonb);
DROP FUNCTION events_apply_attributes();
DROP FUNCTION assets_start_current();
DROP FUNCTION refuse_change();
DROP FUNCTION app_org_id();

// @generated automatically by Diesel CLI.

diesel::table! {
    agents (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        description -> Text,
        permitted_systems -> Array<Nullable<Text>>,
        permitted_actions -> Array<Nullable<Text>>,
        permitted_data_types -> Array<Nullable<Text>>,
        max_actions_per_hour -> Nullable<Int4>,
        created_at -> Timestamptz,
        seq -> Int8,
        discovered -> Bool,
    }
}

diesel::table! {
    api_tokens (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        secret_sha256 -> Bytea,
        role -> Text,
        revoked -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    assets (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        attributes -> Jsonb,
        behaviours -> Array<Nullable<Text>>,
        current_attributes -> Jsonb,
        created_at -> Timestamptz,
        seq -> Int8,
    }
}

diesel::table! {
    compliance_packages (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        agent_id -> Uuid,
        version -> Int4,
        generated_by -> Uuid,
        generated_at -> Timestamptz,
        content -> Jsonb,
        content_sha256 -> Text,
        previous_sha256 -> Text,
    }
}

diesel::table! {
    compliance_policies (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        seq -> Int8,
        compliance_type -> Text,
        display_name -> Text,
        description -> Text,
        asset_filter -> Jsonb,
        event_display_type -> Text,
        closing_event_display_type -> Text,
        time_period_seconds -> Int8,
        dynamic_window -> Int8,
        dynamic_variability -> Float8,
        richness_assertions -> Jsonb,
        controls -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    connectors (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        agent_id -> Uuid,
        connector_type -> Text,
        vendor -> Text,
        purpose -> Text,
        data_categories -> Array<Nullable<Text>>,
        region -> Text,
        permitted_operations -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        seq -> Int8,
    }
}

diesel::table! {
    events (org_id, id) {
        org_id -> Uuid,
        asset_id -> Uuid,
        id -> Uuid,
        seq -> Int8,
        display_type -> Text,
        correlation_value -> Nullable<Text>,
        declared_at -> Nullable<Timestamptz>,
        accepted_at -> Timestamptz,
        occurred_at -> Timestamptz,
        operation -> Text,
        behaviour -> Text,
        event_attributes -> Jsonb,
        asset_attributes -> Jsonb,
        sets_attributes -> Bool,
        principal_declared -> Jsonb,
        connector -> Nullable<Text>,
        target_resource -> Nullable<Text>,
        policy_verdict -> Nullable<Text>,
        status -> Nullable<Text>,
        duration_ms -> Nullable<Int8>,
        metadata -> Jsonb,
        lag_seconds -> Nullable<Float8>,
        leaf_index -> Nullable<Int8>,
    }
}

diesel::table! {
    idempotency_keys (org_id, key) {
        org_id -> Uuid,
        key -> Text,
        request_sha256 -> Text,
        status -> Int2,
        response -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    organizations (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    package_pdfs (org_id, package_id) {
        org_id -> Uuid,
        package_id -> Uuid,
        pdf -> Bytea,
        sha256 -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    policy_rules (org_id, id) {
        org_id -> Uuid,
        id -> Uuid,
        name -> Text,
        agent_id -> Nullable<Uuid>,
        rule_type -> Text,
        connector -> Text,
        action_pattern -> Text,
        risk_threshold -> Int4,
        created_at -> Timestamptz,
        seq -> Int8,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        secret -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(api_tokens -> organizations (org_id));
diesel::joinable!(assets -> organizations (org_id));
diesel::joinable!(compliance_policies -> organizations (org_id));
diesel::joinable!(idempotency_keys -> organizations (org_id));
diesel::joinable!(policy_rules -> organizations (org_id));

diesel::table! {
    signing_keys (org_id, key_id) {
        org_id -> Uuid,
        key_id -> Text,
        public_key -> Bytea,
        sealed_private_key -> Bytea,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    attestations (org_id, package_id) {
        org_id -> Uuid,
        package_id -> Uuid,
        key_id -> Text,
        envelope -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    log_heads (org_id) {
        org_id -> Uuid,
        size -> Int8,
        hashed -> Int8,
    }
}

diesel::table! {
    org_branding (org_id) {
        org_id -> Uuid,
        display_name -> Nullable<Text>,
        accent_colour -> Nullable<Text>,
        logo_media_type -> Nullable<Text>,
        logo -> Nullable<Bytea>,
        logo_raster -> Nullable<Bytea>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    org_settings (org_id) {
        org_id -> Uuid,
        keep_tool_payloads -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    log_asset_leaves (org_id, asset_id) {
        org_id -> Uuid,
        asset_id -> Uuid,
        leaves -> Int8,
    }
}

diesel::table! {
    log_hash_runs (org_id, first_index) {
        org_id -> Uuid,
        first_index -> Int8,
        hashes -> Bytea,
    }
}

diesel::table! {
    log_keys (org_id) {
        org_id -> Uuid,
        name -> Text,
        public_key -> Bytea,
        sealed_private_key -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    log_checkpoints (org_id, tree_size) {
        org_id -> Uuid,
        tree_size -> Int8,
        root_hash -> Bytea,
        note -> Text,
        signed_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    attestations,
    log_checkpoints,
    log_hash_runs,
    log_heads,
    log_keys,
    log_asset_leaves,
    org_branding,
    org_settings,
    agents,
    api_tokens,
    assets,
    compliance_packages,
    compliance_policies,
    connectors,
    events,
    idempotency_keys,
    organizations,
    package_pdfs,
    policy_rules,
    server_secrets,
    signing_keys,
);

//! `compliance-server demo`: an org with an agent, `triage-agent`, and a month of its audit
//! trail; a compliance package generated from it, written as JSON and PDF to `<data dir>/demo/`,
//! with the demo org's admin token kept there for the next run.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use compliance_core::package::Framework;
use compliance_core::{
    AgentProfile, AuditEntry, ConnectorConfig, Metadata, Outcome, PolicyRule, PolicySpec, RuleType,
    Verdict,
};
use compliance_http::v1::packages::{PackageView, attest};
use compliance_http::{ApiError, AppState};
use compliance_store::connectors::{self, NewConnector};
use compliance_store::events::{self, NewEvent};
use compliance_store::generation::generate;
use compliance_store::packages::PackageRecord;
use compliance_store::rules::{self, NewRule};
use compliance_store::{Role, Store, StoreError, TenantConn, pdfs, policies};
use compliance_store::{agents, branding};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::private_file;

const ORG: &str = "demo";
const AGENT: &str = "triage-agent";
/// The demo org's admin token, in `<data dir>/demo/`: one token, reused by every run.
const TOKEN_FILE: &str = "admin-token";

/// What the demo made, for the banner.
pub struct Demo {
    pub token: String,
    pub agent: Uuid,
    pub package: PackageRecord,
    pub json: PathBuf,
    pub pdf: PathBuf,
    pub attestation: PathBuf,
}

/// Seeds the demo org once (later runs reuse it and its token), generates a new package
/// version, writes it.
pub async fn run(state: &AppState, data_dir: &Path) -> Result<Demo, String> {
    let store = &state.store;
    let dir = data_dir.join("demo");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let org = store
        .ensure_organization(ORG)
        .await
        .map_err(|e| e.to_string())?;
    let token = admin_token(store, org.id, &dir.join(TOKEN_FILE)).await?;
    let seeded = store
        .transact(org.id, async |conn| {
            let agent = match agents::list(conn, 1000, 0)
                .await?
                .0
                .into_iter()
                .find(|a| a.profile.name == AGENT)
            {
                Some(existing) => existing.profile.id,
                None => seed(conn).await?,
            };
            let package = generate(
                conn,
                agent,
                token.id,
                OffsetDateTime::now_utc(),
                Framework::ALL,
                &state.key_seal,
            )
            .await?;
            Ok::<_, ApiError>((agent, package))
        })
        .await;
    let (agent, package) = seeded.map_err(|e| e.message)?;
    // Attested as POST /v1/compliance attests: its PDF rendered, kept and signed for.
    let envelope = attest(state, &package).await.map_err(|e| e.message)?;
    let pdf = store
        .transact(org.id, async |conn| pdfs::get(conn, package.id).await)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the package's PDF was not kept")?;

    let stem = dir.join(format!("compliance-{AGENT}-v{}", package.version));
    let json_path = stem.with_extension("json");
    let pdf_path = stem.with_extension("pdf");
    let attestation_path = stem.with_extension("attestation.json");
    // The very shape GET /v1/compliance/{id} answers.
    let view = PackageView::of(&package).map_err(|e| e.message)?;
    for (path, bytes) in [
        (
            &json_path,
            serde_json::to_vec_pretty(&view).map_err(|e| e.to_string())?,
        ),
        (&pdf_path, pdf),
        (
            &attestation_path,
            serde_json::to_vec_pretty(&envelope).map_err(|e| e.to_string())?,
        ),
    ] {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(Demo {
        token: token.secret,
        agent,
        package,
        json: json_path,
        pdf: pdf_path,
        attestation: attestation_path,
    })
}

/// The token kept at `path` while it still authenticates as an admin of `org` (not revoked);
/// otherwise a new one, kept there in its place.
async fn admin_token(store: &Store, org: Uuid, path: &Path) -> Result<Token, String> {
    if let Some(kept) = private_file::read(path)? {
        let secret = kept.trim();
        let principal = store
            .authenticate(secret)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(principal) = principal
            && principal.org == org
            && principal.role == Role::Admin
        {
            return Ok(Token {
                id: principal.token,
                secret: secret.to_owned(),
            });
        }
    }
    let issued = store
        .issue_token(org, Role::Admin)
        .await
        .map_err(|e| e.to_string())?;
    private_file::replace(path, &format!("{}\n", issued.secret))?;
    Ok(Token {
        id: issued.id,
        secret: issued.secret,
    })
}

/// The demo's admin token: its id signs the packages, its secret goes in the banner.
struct Token {
    id: Uuid,
    secret: String,
}

/// A small deterministic generator: the demo trail is the same shape every time.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

async fn seed(conn: &mut TenantConn) -> Result<Uuid, StoreError> {
    let agent = Uuid::new_v4();
    seed_agent(conn, agent).await?;
    seed_connectors(conn, agent).await?;
    seed_rules(conn, agent).await?;
    seed_policies(conn).await?;
    seed_branding(conn).await?;
    let trail: Vec<NewEvent> = trail(agent).into_iter().map(NewEvent::from).collect();
    events::append_many(conn, trail.into()).await?;
    Ok(agent)
}

/// The demo org's display name, accent and logo (a shield, paths only), as an admin would set
/// them through `PUT /v1/settings/branding`.
const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32"><path d="M16 2 L28 7 V15 C28 23 22 28 16 30 C10 28 4 23 4 15 V7 Z" fill="#0b5394"/><path d="M11 16 L15 20 L22 11" fill="none" stroke="#ffffff" stroke-width="3"/><rect x="36" y="9" width="56" height="5" rx="2" fill="#0b5394"/><rect x="36" y="19" width="40" height="4" rx="2" fill="#5b7fa6"/></svg>"##;

async fn seed_branding(conn: &mut TenantConn) -> Result<(), StoreError> {
    let checked = compliance_pdf::logo::check(compliance_pdf::logo::SVG, LOGO.as_bytes())
        .map_err(|e| StoreError::Invalid(format!("the demo's logo: {e}")))?;
    let logo = branding::Logo {
        media_type: checked.media_type.to_owned(),
        image: checked.image,
        raster: checked.raster,
    };
    branding::set(
        conn,
        &branding::NewBranding {
            display_name: Some("Demo Security Operations"),
            accent_colour: Some("#0b5394"),
            logo: Some(&logo),
        },
    )
    .await
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|&name| name.to_owned()).collect()
}

/// The agent and what it declares.
async fn seed_agent(conn: &mut TenantConn, agent: Uuid) -> Result<(), StoreError> {
    let profile = AgentProfile {
        id: agent,
        name: AGENT.to_owned(),
        description: "Triages CrowdStrike detections and files Jira tickets for the SOC".to_owned(),
        permitted_systems: names(&["crowdstrike", "jira"]),
        permitted_actions: names(&["detections:*", "hosts:contain", "issues:create"]),
        permitted_data_types: names(&["security_events", "host_metadata", "ticket_content"]),
        max_actions_per_hour: Some(120),
        discovered: false,
    };
    agents::create(conn, &profile).await?;
    Ok(())
}

/// Its two connectors: CrowdStrike and Jira.
async fn seed_connectors(conn: &mut TenantConn, agent: Uuid) -> Result<(), StoreError> {
    let configs = [
        ConnectorConfig {
            connector_type: "crowdstrike".to_owned(),
            vendor: "CrowdStrike".to_owned(),
            purpose: "Read detections and contain hosts".to_owned(),
            data_categories: names(&["security_events", "host_metadata"]),
            region: "us-1".to_owned(),
            permitted_operations: names(&["detections:read", "hosts:contain"]),
        },
        ConnectorConfig {
            connector_type: "jira".to_owned(),
            vendor: "Atlassian".to_owned(),
            purpose: "File and update SOC tickets".to_owned(),
            data_categories: names(&["ticket_content"]),
            region: "eu-west-1".to_owned(),
            permitted_operations: names(&["issues:create", "issues:comment"]),
        },
    ];
    for config in configs {
        let connector = NewConnector {
            id: Uuid::new_v4(),
            agent_id: agent,
            config,
        };
        connectors::create(conn, &connector).await?;
    }
    Ok(())
}

/// Its policy rules: one of each type.
async fn seed_rules(conn: &mut TenantConn, agent: Uuid) -> Result<(), StoreError> {
    for (name, rule_type, connector, pattern, risk) in [
        (
            "Read detections",
            RuleType::Permit,
            "crowdstrike",
            "detections:*",
            30,
        ),
        (
            "Containment needs a human",
            RuleType::Escalate,
            "crowdstrike",
            "hosts:contain",
            70,
        ),
        (
            "No deletions in Jira",
            RuleType::Deny,
            "jira",
            "issues:delete",
            90,
        ),
    ] {
        let rule = NewRule {
            id: Uuid::new_v4(),
            agent_id: Some(agent),
            rule: PolicyRule {
                name: name.to_owned(),
                rule_type,
                connector: connector.to_owned(),
                action_pattern: pattern.to_owned(),
                risk_threshold: risk,
            },
        };
        rules::create(conn, &rule).await?;
    }
    Ok(())
}

/// Four compliance policies over agents, each evidencing SOC 2 criteria.
async fn seed_policies(conn: &mut TenantConn) -> Result<(), StoreError> {
    let agents_only = json!([{ "or": ["attributes.arc_display_type=AI Agent"] }]);
    for (body, controls) in [
        (
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "Deployed within the last 30 days",
                "event_display_type": "agent.deployed", "time_period_seconds": 30 * 86400, "asset_filter": agents_only}),
            vec!["CC8.1"],
        ),
        (
            json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "display_name": "Drift resolved within 24 hours",
                "event_display_type": "drift.detected", "closing_event_display_type": "drift.resolved",
                "time_period_seconds": 86400, "asset_filter": agents_only}),
            vec!["CC7.1", "CC7.3"],
        ),
        (
            json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "display_name": "No approval left pending",
                "event_display_type": "approval.requested", "closing_event_display_type": "approval.reviewed",
                "asset_filter": agents_only}),
            vec!["CC7.4"],
        ),
        (
            json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "display_name": "Approval turnaround is steady",
                "event_display_type": "approval.requested", "closing_event_display_type": "approval.reviewed",
                "dynamic_window": 30 * 86400, "dynamic_variability": 3, "asset_filter": agents_only}),
            vec!["CC7.2"],
        ),
    ] {
        let mut body = body;
        body["controls"] = json!(controls);
        let spec = PolicySpec::from_json(body.to_string().as_bytes())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        policies::create(conn, &spec).await?;
    }
    Ok(())
}

/// The trail's time line: four weeks ending an hour ago, and a seeded random source.
struct Month {
    start: OffsetDateTime,
    random: Lcg,
    entries: Vec<AuditEntry>,
}

impl Month {
    /// One entry of the agent's, declared at `at`.
    #[allow(clippy::too_many_arguments)] // every argument is one field of the entry
    fn entry(
        &mut self,
        agent: Uuid,
        at: OffsetDateTime,
        action: &str,
        connector: Option<&str>,
        target: &str,
        verdict: Verdict,
        status: Outcome,
        correlation: Option<String>,
        metadata: serde_json::Value,
    ) {
        let mut entry = AuditEntry::new(agent, action);
        entry.connector = connector.map(str::to_owned);
        entry.target_resource = Some(target.to_owned());
        entry.policy_verdict = Some(verdict);
        entry.status = Some(status);
        entry.duration_ms = Some(40 + (at.unix_timestamp() % 900));
        entry.correlation_id = correlation;
        entry.metadata = Metadata::from_value(&metadata);
        entry.declared_at = Some(at);
        self.entries.push(entry);
    }
}

/// About 1,250 entries over the four weeks before now.
fn trail(agent: Uuid) -> Vec<AuditEntry> {
    let end = OffsetDateTime::now_utc() - Duration::hours(1);
    let mut month = Month {
        start: end - Duration::days(28),
        random: Lcg(2026),
        entries: Vec::new(),
    };
    deployments(&mut month, agent);
    calls(&mut month, agent);
    containments(&mut month, agent);
    denials(&mut month, agent);
    drifts(&mut month, agent);
    month.entries
}

/// Three releases.
fn deployments(month: &mut Month, agent: Uuid) {
    for (day, version) in [(0, "1.4.0"), (9, "1.4.1"), (21, "1.5.0")] {
        let at = month.start + Duration::days(day);
        month.entry(
            agent,
            at,
            "agent.deployed",
            None,
            "triage-agent",
            Verdict::Permit,
            Outcome::Success,
            None,
            json!({"version": version}),
        );
    }
}

/// 1,230 permitted calls, five in eight to CrowdStrike (one in fifty of those failing).
fn calls(month: &mut Month, agent: Uuid) {
    for n in 0..1230u32 {
        let at =
            month.start + Duration::seconds(i64::from(n) * 1960 + month.random.below(600) as i64);
        let (connector, target, status) = if n % 8 < 5 {
            let status = if month.random.below(50) == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            };
            (
                "crowdstrike",
                format!("detections/ldt:{:06x}", n * 7919),
                status,
            )
        } else {
            ("jira", format!("SOC-{}", 1000 + n), Outcome::Success)
        };
        month.entry(
            agent,
            at,
            "connector.called",
            Some(connector),
            &target,
            Verdict::Permit,
            status,
            None,
            json!({}),
        );
    }
}

/// Eight escalated containments, each approved by a human within 20 to 90 minutes.
fn containments(month: &mut Month, agent: Uuid) {
    for n in 0..8 {
        let at = month.start + Duration::days(2 + n * 3) + Duration::hours(4);
        let id = format!("contain-{n}");
        let host = format!("hosts/h-{n}");
        month.entry(
            agent,
            at,
            "connector.called",
            Some("crowdstrike"),
            &host,
            Verdict::Escalate,
            Outcome::Success,
            Some(id.clone()),
            json!({"risk": 74}),
        );
        month.entry(
            agent,
            at + Duration::seconds(1),
            "approval.requested",
            None,
            &host,
            Verdict::Escalate,
            Outcome::Success,
            Some(id.clone()),
            json!({}),
        );
        let wait = Duration::minutes(20 + month.random.below(70) as i64);
        month.entry(
            agent,
            at + wait,
            "approval.reviewed",
            None,
            &host,
            Verdict::Permit,
            Outcome::Success,
            Some(id),
            json!({"reviewer": "soc-lead"}),
        );
    }
}

/// Two deletions the policy engine denied.
fn denials(month: &mut Month, agent: Uuid) {
    for n in 0..2 {
        let at = month.start + Duration::days(6 + n * 11);
        month.entry(
            agent,
            at,
            "connector.called",
            Some("jira"),
            "SOC-77",
            Verdict::Deny,
            Outcome::Blocked,
            None,
            json!({"attempted": "issues:delete"}),
        );
    }
}

/// Four drifts, each resolved within hours.
fn drifts(month: &mut Month, agent: Uuid) {
    for (n, (kind, severity, hours)) in [
        ("scope_expansion", "medium", 3),
        ("rate_spike", "low", 1),
        ("new_endpoint", "high", 9),
        ("rate_spike", "low", 2),
    ]
    .into_iter()
    .enumerate()
    {
        let at = month.start + Duration::days(4 + n as i64 * 6);
        let id = format!("drift-{n}");
        month.entry(
            agent,
            at,
            "drift.detected",
            None,
            "triage-agent",
            Verdict::Permit,
            Outcome::Success,
            Some(id.clone()),
            json!({"drift_type": kind, "severity": severity}),
        );
        month.entry(
            agent,
            at + Duration::hours(hours),
            "drift.resolved",
            None,
            "triage-agent",
            Verdict::Permit,
            Outcome::Success,
            Some(id),
            json!({"resolution": "intent updated"}),
        );
    }
}

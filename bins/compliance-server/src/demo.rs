//! `compliance-server demo`: an org with an agent, `triage-agent`, and a month of its audit
//! trail; a compliance package generated from it, written as JSON and PDF to `<data dir>/demo/`,
//! with the demo org's admin token kept there for the next run.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use compliance_core::PolicySpec;
use compliance_store::agents::{self, NewAgent};
use compliance_store::connectors::{self, NewConnector};
use compliance_store::events::{self, AuditFields, Metadata, NewEvent};
use compliance_store::generation::{self, generate};
use compliance_store::packages::PackageRecord;
use compliance_store::rules::{self, NewRule};
use compliance_store::{Role, Store, StoreError, TenantConn, orgs, policies};
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
}

/// Seeds the demo org once (later runs reuse it and its token), generates a new package
/// version, writes it.
pub async fn run(store: &Store, data_dir: &Path) -> Result<Demo, String> {
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
    let mut conn = store.tenant(org.id).await.map_err(|e| e.to_string())?;
    let seeded = async {
        let agent = match agents::list(&mut conn, 1000, 0)
            .await?
            .0
            .into_iter()
            .find(|a| a.agent.name == AGENT)
        {
            Some(existing) => existing.agent.id,
            None => seed(&mut conn).await?,
        };
        let package = generate(&mut conn, agent, token.id, OffsetDateTime::now_utc()).await?;
        let org = orgs::current(&mut conn).await?;
        Ok::<_, StoreError>((agent, package, org))
    }
    .await;
    let (agent, package, org) = conn.end(seeded).await.map_err(|e| e.to_string())?;

    let json_path = dir.join(format!("compliance-{AGENT}-v{}.json", package.version));
    let pdf_path = dir.join(format!("compliance-{AGENT}-v{}.pdf", package.version));
    let body = serde_json::to_vec_pretty(&json!({
        "id": package.id, "org_id": package.org_id, "agent_id": package.agent_id,
        "generated_by": package.generated_by,
        "generated_at": package.generated_at.format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| e.to_string())?,
        "version": package.version, "content_sha256": package.content_sha256,
        "previous_sha256": package.previous_sha256, "content": package.content,
    }))
    .map_err(|e| e.to_string())?;
    std::fs::write(&json_path, body)
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    let content = generation::content(&package).map_err(|e| e.to_string())?;
    let pdf = compliance_pdf::render(&compliance_pdf::PackageDocument {
        org_name: &org.name,
        package_id: package.id,
        version: package.version,
        generated_at: package.generated_at,
        generated_by: package.generated_by,
        content_sha256: &package.content_sha256,
        previous_sha256: &package.previous_sha256,
        content: &content,
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(&pdf_path, pdf)
        .map_err(|e| format!("cannot write {}: {e}", pdf_path.display()))?;
    Ok(Demo {
        token: token.secret,
        agent,
        package,
        json: json_path,
        pdf: pdf_path,
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
    agents::create(
        conn,
        &NewAgent {
            id: agent,
            name: AGENT.to_owned(),
            description: "Triages CrowdStrike detections and files Jira tickets for the SOC"
                .to_owned(),
            permitted_systems: vec!["crowdstrike".to_owned(), "jira".to_owned()],
            permitted_actions: vec![
                "detections:*".to_owned(),
                "hosts:contain".to_owned(),
                "issues:create".to_owned(),
            ],
            permitted_data_types: vec![
                "security_events".to_owned(),
                "host_metadata".to_owned(),
                "ticket_content".to_owned(),
            ],
            max_actions_per_hour: Some(120),
        },
    )
    .await?;
    for (kind, vendor, purpose, categories, region, operations) in [
        (
            "crowdstrike",
            "CrowdStrike",
            "Read detections and contain hosts",
            vec!["security_events", "host_metadata"],
            "us-1",
            vec!["detections:read", "hosts:contain"],
        ),
        (
            "jira",
            "Atlassian",
            "File and update SOC tickets",
            vec!["ticket_content"],
            "eu-west-1",
            vec!["issues:create", "issues:comment"],
        ),
    ] {
        connectors::create(
            conn,
            &NewConnector {
                id: Uuid::new_v4(),
                agent_id: agent,
                connector_type: kind.to_owned(),
                vendor: vendor.to_owned(),
                purpose: purpose.to_owned(),
                data_categories: categories.into_iter().map(str::to_owned).collect(),
                region: region.to_owned(),
                permitted_operations: operations.into_iter().map(str::to_owned).collect(),
            },
        )
        .await?;
    }
    for (name, kind, connector, pattern, risk) in [
        (
            "Read detections",
            "permit",
            "crowdstrike",
            "detections:*",
            30,
        ),
        (
            "Containment needs a human",
            "escalate",
            "crowdstrike",
            "hosts:contain",
            70,
        ),
        ("No deletions in Jira", "deny", "jira", "issues:delete", 90),
    ] {
        rules::create(
            conn,
            &NewRule {
                id: Uuid::new_v4(),
                name: name.to_owned(),
                agent_id: Some(agent),
                rule_type: kind.to_owned(),
                connector: connector.to_owned(),
                action_pattern: pattern.to_owned(),
                risk_threshold: risk,
            },
        )
        .await?;
    }
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
    events::append_many(conn, &trail(agent)).await?;
    Ok(agent)
}

/// About 1,250 entries over the four weeks before now.
fn trail(agent: Uuid) -> Vec<NewEvent> {
    let end = OffsetDateTime::now_utc() - Duration::hours(1);
    let start = end - Duration::days(28);
    let mut random = Lcg(2026);
    let mut entries = Vec::new();
    let mut entry = |at: OffsetDateTime,
                     action: &str,
                     connector: Option<&str>,
                     target: &str,
                     verdict: &str,
                     status: &str,
                     correlation: Option<String>,
                     metadata: serde_json::Value| {
        let mut event_attributes = compliance_core::Attributes::new();
        event_attributes.insert("arc_display_type".to_owned(), action.to_owned());
        if let Some(value) = &correlation {
            event_attributes.insert("arc_correlation_value".to_owned(), value.clone());
        }
        entries.push(NewEvent {
            id: Uuid::new_v4(),
            asset_id: agent,
            display_type: action.to_owned(),
            correlation_value: correlation,
            declared_at: Some(at),
            operation: "Record".to_owned(),
            behaviour: "RecordEvidence".to_owned(),
            event_attributes,
            asset_attributes: compliance_core::Attributes::new(),
            principal_declared: json!({}),
            audit: AuditFields {
                connector: connector.map(str::to_owned),
                target_resource: Some(target.to_owned()),
                policy_verdict: Some(verdict.to_owned()),
                status: Some(status.to_owned()),
                duration_ms: Some(40 + (at.unix_timestamp() % 900)),
                metadata: Metadata::from_value(&metadata),
            },
        });
    };
    for (day, version) in [(0, "1.4.0"), (9, "1.4.1"), (21, "1.5.0")] {
        entry(
            start + Duration::days(day),
            "agent.deployed",
            None,
            "triage-agent",
            "PERMIT",
            "success",
            None,
            json!({"version": version}),
        );
    }
    for n in 0..1230u32 {
        let at = start + Duration::seconds(i64::from(n) * 1960 + random.below(600) as i64);
        let (connector, target, status) = if n % 8 < 5 {
            (
                "crowdstrike",
                format!("detections/ldt:{:06x}", n * 7919),
                if random.below(50) == 0 {
                    "error"
                } else {
                    "success"
                },
            )
        } else {
            ("jira", format!("SOC-{}", 1000 + n), "success")
        };
        entry(
            at,
            "connector.called",
            Some(connector),
            &target,
            "PERMIT",
            status,
            None,
            json!({}),
        );
    }
    for n in 0..8 {
        let at = start + Duration::days(2 + n * 3) + Duration::hours(4);
        let id = format!("contain-{n}");
        entry(
            at,
            "connector.called",
            Some("crowdstrike"),
            &format!("hosts/h-{n}"),
            "ESCALATE",
            "success",
            Some(id.clone()),
            json!({"risk": 74}),
        );
        entry(
            at + Duration::seconds(1),
            "approval.requested",
            None,
            &format!("hosts/h-{n}"),
            "ESCALATE",
            "success",
            Some(id.clone()),
            json!({}),
        );
        let wait = Duration::minutes(20 + random.below(70) as i64);
        entry(
            at + wait,
            "approval.reviewed",
            None,
            &format!("hosts/h-{n}"),
            "PERMIT",
            "success",
            Some(id),
            json!({"reviewer": "soc-lead"}),
        );
    }
    for n in 0..2 {
        let at = start + Duration::days(6 + n * 11);
        entry(
            at,
            "connector.called",
            Some("jira"),
            "SOC-77",
            "DENY",
            "blocked",
            None,
            json!({"attempted": "issues:delete"}),
        );
    }
    for (n, (kind, severity, hours)) in [
        ("scope_expansion", "medium", 3),
        ("rate_spike", "low", 1),
        ("new_endpoint", "high", 9),
        ("rate_spike", "low", 2),
    ]
    .into_iter()
    .enumerate()
    {
        let at = start + Duration::days(4 + n as i64 * 6);
        let id = format!("drift-{n}");
        entry(
            at,
            "drift.detected",
            None,
            "triage-agent",
            "PERMIT",
            "success",
            Some(id.clone()),
            json!({"drift_type": kind, "severity": severity}),
        );
        entry(
            at + Duration::hours(hours),
            "drift.resolved",
            None,
            "triage-agent",
            "PERMIT",
            "success",
            Some(id),
            json!({"resolution": "intent updated"}),
        );
    }
    entries
}

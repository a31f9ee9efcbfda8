//! The pages: the org's agents, an agent, a package, the changes between two packages, and the
//! package's downloads. Each reads what the API's handler of the same resource reads, and words
//! the evidence as the PDF does (`compliance_pdf::wording`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse, Responder};
use askama::Template;
use compliance_core::package::{Framework, PackageContent, PackageDiff, diff as compare};
use compliance_pdf::wording;
use compliance_store::generation::{self, generate as generate_package};
use compliance_store::packages::PackageRecord;
use compliance_store::{
    agents as agent_store, attestations, connectors, events, orgs, packages as package_store,
    rules, signing,
};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::session::{Csrf, Session};
use super::{Chrome, UiError, html};
use crate::permission::{GeneratePackages, Permission, Read, allowed};
use crate::request::uuid;
use crate::v1::audit::EntryView;
use crate::v1::{oscal, packages as package_api};
use crate::{ApiError, OrNotFound};

/// Rows a list page shows.
const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offset {
    offset: Option<i64>,
}

impl Offset {
    fn get(&self) -> Result<i64, UiError> {
        match self.offset {
            None => Ok(0),
            Some(offset) if (0..=i64::from(i32::MAX)).contains(&offset) => Ok(offset),
            Some(_) => Err(UiError::Page(ApiError::bad_request(
                "offset: must be a whole number from 0",
            ))),
        }
    }
}

/// Links to the page before and after this one.
#[derive(Debug)]
struct Pager {
    previous: Option<String>,
    next: Option<String>,
    shown: String,
}

impl Pager {
    fn new(base: &str, offset: i64, shown: usize, total: i64) -> Self {
        let shown = i64::try_from(shown).unwrap_or(i64::MAX);
        let link = |offset: i64| format!("{base}?offset={offset}");
        Self {
            previous: (offset > 0).then(|| link((offset - PAGE).max(0))),
            next: (offset + shown < total).then(|| link(offset + shown)),
            shown: if shown == 0 {
                "none".to_owned()
            } else {
                format!("{} to {} of {total}", offset + 1, offset + shown)
            },
        }
    }
}

struct AgentRow {
    id: Uuid,
    name: String,
    registration: &'static str,
    latest: Option<Latest>,
}

struct Latest {
    id: Uuid,
    version: i32,
    generated_at: String,
    controls: String,
}

#[derive(Template)]
#[template(path = "ui/agents.html")]
struct AgentsPage {
    chrome: Chrome,
    org: String,
    total: i64,
    agents: Vec<AgentRow>,
    pager: Pager,
}

/// GET /ui: the org's agents, each with its latest package.
pub async fn agents(session: Session<Read>, query: Query<Offset>) -> Result<HttpResponse, UiError> {
    let offset = query.get()?;
    let (org, listed, total) = session
        .tenant
        .transact(async |conn| {
            let org = orgs::current(conn).await?.name;
            let (agents, total) = agent_store::list(conn, PAGE, offset).await?;
            let mut listed = Vec::new();
            for agent in agents {
                let (latest, _) = package_store::list(conn, Some(agent.profile.id), 1, 0).await?;
                listed.push((agent, latest.into_iter().next()));
            }
            Ok((org, listed, total))
        })
        .await?;
    let agents = listed
        .into_iter()
        .map(|(agent, latest)| {
            let latest = latest
                .map(|package| {
                    let content = generation::content(&package)?;
                    Ok::<_, UiError>(Latest {
                        id: package.id,
                        version: package.version,
                        generated_at: wording::rfc3339(package.generated_at),
                        controls: wording::listed(&content.controls_covered()),
                    })
                })
                .transpose()?;
            Ok(AgentRow {
                id: agent.profile.id,
                name: agent.profile.name,
                registration: wording::registration(agent.profile.discovered),
                latest,
            })
        })
        .collect::<Result<Vec<_>, UiError>>()?;
    let pager = Pager::new("/ui", offset, agents.len(), total);
    let page = AgentsPage {
        chrome: session.chrome,
        org,
        total,
        agents,
        pager,
    };
    Ok(html(StatusCode::OK, page.render()))
}

struct EntryRow {
    at: String,
    action_type: String,
    connector: String,
    target: String,
    verdict: String,
    status: String,
}

struct PackageRow {
    id: Uuid,
    version: i32,
    generated_at: String,
    content_sha256: String,
}

#[derive(Template)]
#[template(path = "ui/agent.html")]
struct AgentPage {
    chrome: Chrome,
    agent: compliance_core::package::AgentProfile,
    registration: &'static str,
    systems: String,
    actions: String,
    data_types: String,
    hourly: String,
    can_generate: bool,
    packages: Vec<PackageRow>,
    connectors: Vec<compliance_core::package::ConnectorConfig>,
    rules: Vec<RuleRow>,
    entries: Vec<EntryRow>,
    entries_total: i64,
    pager: Pager,
}

struct RuleRow {
    name: String,
    rule_type: String,
    connector: String,
    action_pattern: String,
    risk_threshold: i32,
}

/// GET /ui/agents/{id}: the agent, its connectors, rules, packages and audit entries (paged).
pub async fn agent(
    session: Session<Read>,
    id: Path<String>,
    query: Query<Offset>,
) -> Result<HttpResponse, UiError> {
    let id = uuid("agent_id", &id)?;
    let offset = query.get()?;
    let filter = events::EventQuery {
        asset_id: Some(id),
        agents_only: true,
        limit: PAGE,
        offset,
        ..events::EventQuery::default()
    };
    let (agent, connectors, rules, packages, entries, entries_total) = session
        .tenant
        .transact(async |conn| {
            let agent = agent_store::get(conn, id).await.or_404("agent")?;
            let connectors = connectors::list(conn, Some(id)).await?;
            let rules = rules::list(conn, Some(id)).await?;
            // Every version: an agent has one a quarter or so, not thousands.
            let (packages, _) = package_store::list(conn, Some(id), 1000, 0).await?;
            let entries = events::list(conn, &filter).await?;
            let total = events::count(conn, &filter).await?;
            Ok((agent, connectors, rules, packages, entries, total))
        })
        .await?;
    let profile = agent.profile;
    let entries: Vec<EntryRow> = entries
        .iter()
        .map(EntryView::from)
        .map(|e| EntryRow {
            at: wording::rfc3339(e.created_at),
            action_type: e.action_type,
            connector: e.connector.unwrap_or_default(),
            target: e.target_resource.unwrap_or_default(),
            verdict: e.policy_verdict.map(|v| spelled(&v)).unwrap_or_default(),
            status: e.status.map(|s| spelled(&s)).unwrap_or_default(),
        })
        .collect();
    let pager = Pager::new(
        &format!("/ui/agents/{id}"),
        offset,
        entries.len(),
        entries_total,
    );
    let page = AgentPage {
        can_generate: allowed(session.tenant.role(), GeneratePackages::ACTION),
        registration: wording::registration(profile.discovered),
        systems: wording::listed(&profile.permitted_systems),
        actions: wording::listed(&profile.permitted_actions),
        data_types: wording::listed(&profile.permitted_data_types),
        hourly: wording::hourly_limit(profile.max_actions_per_hour),
        agent: profile,
        packages: packages
            .iter()
            .map(|p| PackageRow {
                id: p.id,
                version: p.version,
                generated_at: wording::rfc3339(p.generated_at),
                content_sha256: p.content_sha256.clone(),
            })
            .collect(),
        connectors: connectors.into_iter().map(|c| c.config).collect(),
        rules: rules
            .into_iter()
            .map(|r| RuleRow {
                name: r.rule.name,
                rule_type: spelled(&r.rule.rule_type),
                connector: r.rule.connector,
                action_pattern: r.rule.action_pattern,
                risk_threshold: r.rule.risk_threshold,
            })
            .collect(),
        entries,
        entries_total,
        pager,
        chrome: session.chrome,
    };
    Ok(html(StatusCode::OK, page.render()))
}

/// POST /ui/agents/{id}/generate: the agent's next package, then its page.
pub async fn generate(
    session: Session<GeneratePackages>,
    id: Path<String>,
    form: Form<Csrf>,
) -> Result<HttpResponse, UiError> {
    session.check(&form)?;
    let id = uuid("agent_id", &id)?;
    let tenant = &session.tenant;
    let (token, seal) = (tenant.token(), &tenant.state().key_seal);
    let package = tenant
        .transact(async |conn| {
            generate_package(
                conn,
                id,
                token,
                OffsetDateTime::now_utc(),
                Framework::ALL,
                seal,
            )
            .await
            .or_404("agent")
        })
        .await?;
    // As the API does: the PDF kept and the statement signed before the package is shown.
    tenant.state().metrics.package_generated();
    package_api::attest(tenant.state(), &package).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/ui/packages/{}", package.id)))
        .finish())
}

/// A flat table's rows: (name, value).
type Rows = Vec<(String, String)>;

struct FrameworkView {
    title: String,
    name: String,
    facts: Rows,
    /// Control, title, status, the status as a CSS class, evidence.
    controls: Vec<(String, String, &'static str, String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "ui/package.html")]
struct PackagePage {
    chrome: Chrome,
    id: Uuid,
    agent_id: Uuid,
    agent_name: String,
    version: i32,
    facts: Rows,
    integrity: Rows,
    others: Vec<(Uuid, i32)>,
    graph: Rows,
    operations: Vec<(String, i64)>,
    edges: Vec<compliance_core::package::Edge>,
    flow_svg: String,
    flows: Vec<(String, String, String, String, i64)>,
    catalogue: String,
    questions: Vec<(String, String, &'static str, Vec<String>)>,
    sub_processors: Vec<(String, String, String, String, String, i64)>,
    frameworks: Vec<FrameworkView>,
    policies: Vec<(String, String, String, &'static str, String, String)>,
    drift: Rows,
    open_drift: Vec<[String; 4]>,
    log: Rows,
    checkpoint: Option<String>,
}

/// GET /ui/packages/{id}: every section of the package as the PDF has it, its integrity, its
/// downloads, and the other versions to compare it with.
pub async fn package(session: Session<Read>, id: Path<String>) -> Result<HttpResponse, UiError> {
    let id = uuid("package_id", &id)?;
    let (package, org, agent, chain, envelope, keys, versions) = session
        .tenant
        .transact(async |conn| {
            let package = package_store::get(conn, id)
                .await
                .or_404("compliance package")?;
            let org = orgs::current(conn).await?.name;
            let agent = agent_store::get(conn, package.agent_id).await?;
            let chain = package_store::verify_up_to(conn, id).await?;
            let envelope = attestations::get(conn, id).await?;
            let keys = signing::list(conn).await?;
            let (versions, _) = package_store::list(conn, Some(package.agent_id), 1000, 0).await?;
            Ok((package, org, agent, chain, envelope, keys, versions))
        })
        .await?;
    let content = generation::content(&package)?;
    let page = package_page(
        session.chrome,
        &package,
        &content,
        &org,
        &agent.profile.name,
    )
    .with_integrity(chain, signature(&package, envelope.as_ref(), &keys))
    .with_others(&versions, id);
    Ok(html(StatusCode::OK, page.render()))
}

impl PackagePage {
    fn with_integrity(mut self, chain: package_store::ChainStatus, signature: String) -> Self {
        let chain = if chain.verified {
            format!(
                "verified: versions 1 to {} intact and linked",
                chain.versions_checked
            )
        } else {
            format!(
                "BROKEN after version {}: {}",
                chain.versions_checked,
                chain.problem.unwrap_or_default()
            )
        };
        self.integrity.push(("Chain of versions".to_owned(), chain));
        self.integrity.push(("Signature".to_owned(), signature));
        self
    }

    fn with_others(mut self, versions: &[PackageRecord], id: Uuid) -> Self {
        self.others = versions
            .iter()
            .filter(|p| p.id != id)
            .map(|p| (p.id, p.version))
            .collect();
        self
    }
}

/// Whether the package's attestation is signed by one of the org's keys and names this
/// package's content.
fn signature(
    package: &PackageRecord,
    envelope: Option<&compliance_attest::Envelope>,
    keys: &[signing::KeyRecord],
) -> String {
    let Some(envelope) = envelope else {
        return "not signed yet: it is signed when the package is first downloaded or attested"
            .to_owned();
    };
    let checked = envelope.signatures.iter().find_map(|s| {
        let key = keys.iter().find(|k| k.key_id == s.keyid)?;
        Some((key, envelope.verify(&key.public_key)))
    });
    match checked {
        Some((key, Ok(statement))) => {
            let names = statement
                .predicate
                .content_sha256
                .eq(&package.content_sha256);
            if names {
                let state = key.retired_at.map_or("active".to_owned(), |at| {
                    format!("retired {}", wording::rfc3339(at))
                });
                format!(
                    "verified: DSSE envelope signed by key {} ({state})",
                    key.key_id
                )
            } else {
                "NOT VERIFIED: the signed statement names other content".to_owned()
            }
        }
        Some((key, Err(error))) => {
            format!("NOT VERIFIED with key {}: {error}", key.key_id)
        }
        None => "NOT VERIFIED: signed by a key this org does not hold".to_owned(),
    }
}

fn package_page(
    chrome: Chrome,
    package: &PackageRecord,
    content: &PackageContent,
    org: &str,
    agent_name: &str,
) -> PackagePage {
    let agent = &content.agent;
    let previous = if package.previous_sha256.is_empty() {
        "none (first version)".to_owned()
    } else {
        package.previous_sha256.clone()
    };
    let facts = rows([
        ("Organization", org.to_owned()),
        ("Agent", format!("{} ({})", agent.name, agent.id)),
        (
            "Declared systems",
            wording::listed(&agent.permitted_systems),
        ),
        (
            "Declared actions",
            wording::listed(&agent.permitted_actions),
        ),
        (
            "Declared data types",
            wording::listed(&agent.permitted_data_types),
        ),
        (
            "Actions per hour",
            wording::hourly_limit(agent.max_actions_per_hour),
        ),
        (
            "Registration",
            wording::registration(agent.discovered).to_owned(),
        ),
        ("Version", package.version.to_string()),
        ("Package", package.id.to_string()),
        ("Generated at", wording::rfc3339(package.generated_at)),
        ("Generated by", format!("token {}", package.generated_by)),
        ("Content SHA-256", package.content_sha256.clone()),
        ("Previous SHA-256", previous),
        (
            "Controls covered",
            content.control_mappings.controls_covered.join(", "),
        ),
    ]);
    let graph = &content.execution_graph;
    let period = match (graph.first_action, graph.last_action) {
        (Some(first), Some(last)) => {
            format!("{} to {}", wording::rfc3339(first), wording::rfc3339(last))
        }
        _ => "no actions".to_owned(),
    };
    let counts = |map: &std::collections::BTreeMap<String, i64>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let severities: Vec<String> = content
        .drift
        .by_severity
        .iter()
        .map(|(severity, n)| format!("{severity} {n}"))
        .collect();
    let drift = &content.drift;
    let mut frameworks = vec![framework(String::new(), &content.control_mappings, None)];
    for (n, crosswalk) in content.crosswalks.iter().enumerate() {
        let title = format!("5.{} Crosswalk: {}", n + 1, crosswalk.mappings.framework);
        frameworks.push(framework(
            title,
            &crosswalk.mappings,
            Some(crosswalk.framework_id.id()),
        ));
    }
    PackagePage {
        chrome,
        id: package.id,
        agent_id: package.agent_id,
        agent_name: agent_name.to_owned(),
        version: package.version,
        facts,
        integrity: rows([("Content SHA-256", package.content_sha256.clone())]),
        others: Vec::new(),
        graph: rows([
            ("Total actions", graph.total_actions.to_string()),
            ("Period", period),
            ("Connectors used", graph.connectors_used.join(", ")),
            ("Policy verdicts", counts(&graph.policy_verdicts)),
            ("Outcomes", counts(&graph.statuses)),
        ]),
        operations: graph
            .operations_performed
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        edges: graph.edges.clone(),
        flow_svg: super::flow::svg(&agent.name, graph.total_actions, &content.data_flow_diagram)
            .unwrap_or_default(),
        flows: content
            .data_flow_diagram
            .connectors
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.vendor.clone(),
                    c.data_categories.join(", "),
                    wording::direction(c.direction),
                    c.calls,
                )
            })
            .collect(),
        catalogue: content.vsq_responses.catalogue.clone(),
        questions: content
            .vsq_responses
            .responses
            .iter()
            .map(|r| {
                (
                    r.id.clone(),
                    r.question.clone(),
                    wording::answer(r.answer),
                    r.evidence.clone(),
                )
            })
            .collect(),
        sub_processors: content
            .sub_processors
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.purpose.clone(),
                    s.data_categories.join(", "),
                    s.regions.join(", "),
                    s.connectors.join(", "),
                    s.calls,
                )
            })
            .collect(),
        frameworks,
        policies: content
            .compliance_policies
            .iter()
            .map(|p| {
                (
                    p.display_name.clone(),
                    p.identity.clone(),
                    p.compliance_type.clone(),
                    wording::verdict(p.compliant),
                    p.controls.join(", "),
                    p.reason.clone(),
                )
            })
            .collect(),
        drift: rows([
            ("Detected", drift.detected.to_string()),
            ("Resolved", drift.resolved.to_string()),
            ("By severity", wording::listed(&severities)),
            (
                "Mean time to resolve",
                wording::seconds(drift.mean_seconds_to_resolve),
            ),
            (
                "Longest time to resolve",
                wording::seconds(drift.max_seconds_to_resolve),
            ),
        ]),
        open_drift: drift.open.iter().map(wording::open_drift).collect(),
        log: content
            .log
            .as_ref()
            .map(|log| {
                wording::log_rows(log)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            })
            .unwrap_or_default(),
        checkpoint: content.log.as_ref().map(|log| log.checkpoint.clone()),
    }
}

fn framework(
    title: String,
    mappings: &compliance_core::package::ControlMappings,
    id: Option<&str>,
) -> FrameworkView {
    let mut facts = Vec::new();
    if let Some(id) = id {
        facts.push(("Framework id".to_owned(), id.to_owned()));
    }
    facts.push(("Framework".to_owned(), mappings.framework.clone()));
    facts.push((
        "Controls covered".to_owned(),
        wording::listed(&mappings.controls_covered),
    ));
    FrameworkView {
        title,
        name: mappings.framework.clone(),
        facts,
        controls: mappings
            .controls
            .iter()
            .map(|c| {
                let status = wording::status(c.status);
                let class = format!("status-{}", status.replace(' ', "-"));
                (
                    c.control.clone(),
                    c.title.clone(),
                    status,
                    class,
                    c.evidence.clone(),
                )
            })
            .collect(),
    }
}

fn rows<const N: usize>(rows: [(&str, String); N]) -> Rows {
    rows.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// An enum as its JSON spells it.
fn spelled(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Against {
    against: String,
}

struct SetPart {
    title: &'static str,
    added: Vec<String>,
    removed: Vec<String>,
}

struct TablePart {
    title: &'static str,
    what: &'static str,
    rows: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "ui/diff.html")]
struct DiffPage {
    chrome: Chrome,
    id: Uuid,
    version: i32,
    agent_id: Uuid,
    agent_name: String,
    earlier: i32,
    later: i32,
    empty: bool,
    sets: Vec<SetPart>,
    regions: Vec<(String, String, String)>,
    tables: Vec<TablePart>,
}

/// GET /ui/packages/{id}/diff?against={other}: the changes, earlier version to later.
pub async fn diff(
    session: Session<Read>,
    id: Path<String>,
    query: Query<Against>,
) -> Result<HttpResponse, UiError> {
    let id = uuid("package_id", &id)?;
    let against = uuid("against", &query.against)?;
    let (package, other, agent) = session
        .tenant
        .transact(async |conn| {
            let package = package_store::get(conn, id)
                .await
                .or_404("compliance package")?;
            let other = package_store::get(conn, against)
                .await
                .or_404("compliance package")?;
            let agent = agent_store::get(conn, package.agent_id).await?;
            Ok((package, other, agent))
        })
        .await?;
    if package.agent_id != other.agent_id {
        return Err(UiError::Page(ApiError::unprocessable(
            "against: the two packages are of different agents",
        )));
    }
    let (earlier, later) = if other.version <= package.version {
        (&other, &package)
    } else {
        (&package, &other)
    };
    let changes = compare(&generation::content(earlier)?, &generation::content(later)?);
    let page = diff_page(
        session.chrome,
        &package,
        &agent.profile.name,
        earlier.version,
        later.version,
        changes,
    );
    Ok(html(StatusCode::OK, page.render()))
}

fn diff_page(
    chrome: Chrome,
    package: &PackageRecord,
    agent_name: &str,
    earlier: i32,
    later: i32,
    changes: PackageDiff,
) -> DiffPage {
    let empty = changes.is_empty();
    let set = |title, changed: compliance_core::package::Changed| SetPart {
        title,
        added: changed.added,
        removed: changed.removed,
    };
    let shown = |value: Option<String>| value.unwrap_or_else(|| "absent".to_owned());
    let number = |value: Option<i64>| value.map_or_else(|| "absent".to_owned(), |n| n.to_string());
    let verdict = |value: Option<bool>| value.map_or("not evaluated", wording::verdict).to_owned();
    DiffPage {
        chrome,
        id: package.id,
        version: package.version,
        agent_id: package.agent_id,
        agent_name: agent_name.to_owned(),
        earlier,
        later,
        empty,
        regions: changes
            .regions
            .into_iter()
            .map(|r| {
                (
                    r.sub_processor,
                    wording::listed(&r.regions.added),
                    wording::listed(&r.regions.removed),
                )
            })
            .collect(),
        tables: vec![
            TablePart {
                title: "Controls and questionnaire answers that moved",
                what: "Control or question",
                rows: changes
                    .answers
                    .into_iter()
                    .map(|a| {
                        (
                            format!("{} {}", a.section, a.id),
                            shown(a.from),
                            shown(a.to),
                        )
                    })
                    .collect(),
            },
            TablePart {
                title: "Figures that changed",
                what: "Figure",
                rows: changes
                    .figures
                    .into_iter()
                    .map(|f| (f.figure, number(f.from), number(f.to)))
                    .collect(),
            },
            TablePart {
                title: "Policy verdicts that flipped",
                what: "Policy",
                rows: changes
                    .policies
                    .into_iter()
                    .map(|p| {
                        (
                            format!("{} ({})", p.display_name, p.identity),
                            verdict(p.from),
                            verdict(p.to),
                        )
                    })
                    .collect(),
            },
        ],
        sets: vec![
            set("Connectors", changes.connectors),
            set("Permitted systems", changes.permitted_systems),
            set("Permitted actions", changes.permitted_actions),
            set("Permitted data types", changes.permitted_data_types),
            set("Sub-processors", changes.sub_processors),
        ],
    }
}

/// A download: the API's answer for the same resource, as an attachment.
async fn attachment(req: &HttpRequest, answer: impl Responder, filename: String) -> HttpResponse {
    let mut response = answer.respond_to(req).map_into_boxed_body();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""));
    if response.status().is_success()
        && let Ok(value) = disposition
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// GET /ui/packages/{id}/pdf: the kept PDF, as the API serves it.
pub async fn download_pdf(
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    Ok(package_api::pdf(session.tenant, id).await?)
}

/// GET /ui/packages/{id}/json: the package as `GET /v1/compliance/{id}` answers it.
pub async fn download_json(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.json", id.as_str());
    let answer = package_api::read(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}

/// GET /ui/packages/{id}/oscal: the OSCAL assessment results.
pub async fn download_oscal(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.oscal.json", id.as_str());
    let answer = oscal::read(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}

/// GET /ui/packages/{id}/attestation: the DSSE envelope.
pub async fn download_attestation(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.dsse.json", id.as_str());
    let answer = package_api::attestation(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}

#[cfg(test)]
mod tests {
    use compliance_store::Role;

    use super::*;

    #[test]
    fn a_pager_links_only_to_pages_that_exist() {
        let first = Pager::new("/ui", 0, 50, 120);
        assert_eq!(
            (first.previous, first.next.as_deref()),
            (None, Some("/ui?offset=50"))
        );
        let last = Pager::new("/ui", 100, 20, 120);
        assert_eq!(
            (last.previous.as_deref(), last.next),
            (Some("/ui?offset=50"), None)
        );
        assert_eq!(last.shown, "101 to 120 of 120");
    }

    #[test]
    fn roles_that_may_generate_see_the_button() {
        assert!(allowed(Role::Auditor, GeneratePackages::ACTION));
        assert!(!allowed(Role::Viewer, GeneratePackages::ACTION));
    }
}

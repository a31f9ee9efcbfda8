//! One package: every section as the PDF has it, its integrity, downloads and versions.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;
use compliance_core::package::PackageContent;
use compliance_pdf::chart::Chart;
use compliance_pdf::wording;
use compliance_store::generation::{self};
use compliance_store::packages::PackageRecord;
use compliance_store::{
    agents as agent_store, attestations, orgs, packages as package_store, signing,
};
use uuid::Uuid;

use super::*;
use crate::OrNotFound;
use crate::permission::Read;
use crate::request::uuid;
use crate::ui::session::Session;
use crate::ui::{Chrome, UiError, html};

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
    flow_svg: crate::ui::flow::Flow,
    /// `None` when there is nothing to chart, or the version predates the chart.
    activity_svg: Option<crate::ui::activity::ActivitySvg>,
    activity_note: &'static str,
    activity_days: Vec<[String; 7]>,
    activity_header: [&'static str; 7],
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
            let versions = package_store::versions(conn, package.agent_id).await?;
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

    fn with_others(mut self, versions: &[package_store::Version], id: Uuid) -> Self {
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
        graph: owned(wording::graph_rows(graph)),
        operations: graph
            .operations_performed
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        edges: graph.edges.clone(),
        flow_svg: crate::ui::flow::svg(
            &agent.name,
            graph.total_actions,
            &content.data_flow_diagram,
        ),
        activity_svg: Chart::new(&content.activity).map(crate::ui::activity::svg),
        activity_note: wording::no_activity(graph.total_actions),
        activity_days: wording::activity_rows(&content.activity),
        activity_header: wording::ACTIVITY_HEADER,
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
        drift: owned(wording::drift_rows(drift)),
        open_drift: drift.open.iter().map(wording::open_drift).collect(),
        log: content
            .log
            .as_ref()
            .map(|log| owned(wording::log_rows(log)))
            .unwrap_or_default(),
        checkpoint: content.log.as_ref().map(|log| log.checkpoint.clone()),
    }
}

fn owned(rows: Vec<(&str, String)>) -> Rows {
    rows.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
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

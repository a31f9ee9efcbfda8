//! The org's agents, one agent, and generating its next package.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self};
use actix_web::web::{Form, Path, Query};
use askama::Template;
use compliance_core::package::Framework;
use compliance_pdf::wording;
use compliance_store::generation::{self, generate as generate_package};
use compliance_store::{
    agents as agent_store, connectors, events, orgs, packages as package_store, rules,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::OrNotFound;
use crate::permission::{GeneratePackages, Permission, Read, allowed};
use crate::request::uuid;
use crate::ui::session::{Csrf, Session};
use crate::ui::{Chrome, UiError, html};
use crate::v1::audit::EntryView;
use crate::v1::packages as package_api;

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
            let packages = package_store::versions(conn, id).await?;
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

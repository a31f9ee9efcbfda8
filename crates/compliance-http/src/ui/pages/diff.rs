//! What changed between two versions of an agent's package.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Query};
use askama::Template;
use compliance_pdf::wording;
use compliance_store::agents as agent_store;
use serde::Deserialize;
use uuid::Uuid;

use crate::permission::Read;
use crate::request::uuid;
use crate::ui::session::Session;
use crate::ui::{Chrome, UiError, html};
use crate::v1::diff::{Compared, compare};

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
    let compared = compare(&session.tenant, id, against).await?;
    let agent = compared.package.agent_id;
    let agent = session
        .tenant
        .transact(async |conn| Ok(agent_store::get(conn, agent).await?))
        .await?;
    let page = diff_page(session.chrome, &agent.profile.name, compared);
    Ok(html(StatusCode::OK, page.render()))
}

fn diff_page(chrome: Chrome, agent_name: &str, compared: Compared) -> DiffPage {
    let Compared {
        package,
        changes,
        earlier,
        later,
        ..
    } = compared;
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

//! A package as an OSCAL assessment-results document (NIST OSCAL 1.2.3,
//! <https://pages.nist.gov/OSCAL/>), for the GRC tools auditors feed: one result for the
//! package's instant, the criteria it reviewed (SOC 2's and each crosswalk's, one control
//! selection per framework), one observation per criterion with the
//! figures behind it, one finding per criterion (`satisfied` when covered), and back-matter
//! naming the attestation, the PDF and the JSON by their SHA-256. Every id is a UUID v5 of the
//! package's id, so the same package is always the same document.

use actix_web::http::StatusCode;
use actix_web::web::{Json, Path};
use compliance_attest::digest;
use compliance_core::package::{ControlMapping, ControlMappings, ControlStatus, Framework};
use compliance_store::packages;
use serde::Serialize;
use uuid::Uuid;

use super::packages::{PackageView, attest};
use crate::permission::Read;
use crate::request::uuid;
use crate::{ApiError, ApiResult, OrNotFound, Tenant};

/// The OSCAL version the document follows (and its schema, vendored under tests/schemas/).
pub const OSCAL_VERSION: &str = "1.2.3";
/// The namespace of our own props.
const NS: &str = "urn:compliance-evidence:oscal";

#[derive(Debug, Serialize)]
pub struct OscalDocument {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults {
    uuid: Uuid,
    metadata: Metadata,
    import_ap: Href,
    results: Vec<AssessmentResult>,
    back_matter: BackMatter,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
}

#[derive(Debug, Serialize)]
struct Href {
    href: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResult {
    uuid: Uuid,
    title: String,
    description: String,
    start: String,
    props: Vec<Prop>,
    reviewed_controls: ReviewedControls,
    observations: Vec<Observation>,
    findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    control_selections: Vec<ControlSelection>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    description: String,
    props: Vec<Prop>,
    include_controls: Vec<ControlId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlId {
    control_id: String,
}

#[derive(Debug, Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct Observation {
    uuid: Uuid,
    title: String,
    description: String,
    methods: Vec<&'static str>,
    props: Vec<Prop>,
    collected: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Finding {
    uuid: Uuid,
    title: String,
    description: String,
    props: Vec<Prop>,
    target: Target,
    related_observations: Vec<RelatedObservation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    status: State,
}

#[derive(Debug, Serialize)]
struct State {
    state: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: Uuid,
}

#[derive(Debug, Serialize)]
struct BackMatter {
    resources: Vec<Resource>,
}

#[derive(Debug, Serialize)]
struct Resource {
    uuid: Uuid,
    title: String,
    rlinks: Vec<Rlink>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Rlink {
    href: String,
    media_type: &'static str,
    hashes: Vec<Hash>,
}

#[derive(Debug, Serialize)]
struct Hash {
    algorithm: &'static str,
    value: String,
}

/// The package as OSCAL assessment results.
#[utoipa::path(get, path = "/v1/compliance/{id}/oscal", tag = "packages",
    params(("id" = Uuid, Path, description = "The package's id")),
    responses((status = 200, description = "An OSCAL 1.2.3 assessment-results document",
        body = crate::openapi::schema::Oscal)))]
pub async fn read(tenant: Tenant<Read>, id: Path<String>) -> ApiResult<Json<OscalDocument>> {
    let id = uuid("package_id", &id)?;
    let package = tenant
        .transact(async |conn| packages::get(conn, id).await.or_404("compliance package"))
        .await?;
    let envelope = attest(tenant.state(), &package).await?;
    let view = PackageView::of(&package)?;
    // The JSON and the PDF as the statement names them: nothing is read or rendered again.
    let statement = envelope.statement().map_err(|e| {
        tracing::error!(error = %e, "a kept attestation does not read");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?;
    let subject = |i: usize| {
        statement
            .subject
            .get(i)
            .and_then(|s| s.sha256_digest())
            .unwrap_or_default()
            .to_owned()
    };
    let digests = Digests {
        attestation: digest(&serde_json::to_vec(&envelope).unwrap_or_default()),
        json: subject(0),
        pdf: subject(1),
    };
    Ok(Json(document(&view, &digests)))
}

/// The SHA-256 of each file the document points to.
struct Digests {
    attestation: String,
    pdf: String,
    json: String,
}

/// The document for `view`: a pure function of the package and its files' digests.
fn document(view: &PackageView, digests: &Digests) -> OscalDocument {
    let header = &view.header;
    let package = header.id;
    let id = |name: &str| Uuid::new_v5(&package, name.as_bytes());
    let at = header.generated_at_rfc3339();
    let content = &view.content;
    // SOC 2, then each crosswalk: every framework's criteria, each id unique across them.
    let frameworks: Vec<(Framework, &ControlMappings)> =
        std::iter::once((Framework::Soc2, &content.control_mappings))
            .chain(
                content
                    .crosswalks
                    .iter()
                    .map(|c| (c.framework_id, &c.mappings)),
            )
            .collect();
    let controls = || {
        frameworks
            .iter()
            .flat_map(|(framework, m)| m.controls.iter().map(move |c| (*framework, c)))
    };
    let agent = &view.content.agent.name;
    let base = format!("/v1/compliance/{package}");
    let resource = |name: &str, title: String, href: String, media_type, value: &str| Resource {
        uuid: id(name),
        title,
        rlinks: vec![Rlink {
            href,
            media_type,
            hashes: vec![Hash {
                algorithm: "SHA-256",
                value: value.to_owned(),
            }],
        }],
    };
    OscalDocument {
        assessment_results: AssessmentResults {
            uuid: id("assessment-results"),
            metadata: Metadata {
                title: format!("Compliance package of {agent}, version {}", header.version),
                last_modified: at.clone(),
                version: header.version.to_string(),
                oscal_version: OSCAL_VERSION,
            },
            // No separate assessment plan exists: the rules are the package's, documented.
            import_ap: Href {
                href: format!("#{}", id("resource:rules")),
            },
            results: vec![AssessmentResult {
                uuid: id("result"),
                title: format!("{agent} at {at}"),
                description: format!(
                    "The agent's audit trail, connectors and policy rules at {at}, judged against \
                     SOC 2's Trust Services Criteria and the crosswalks asked for, by the \
                     package's rules."
                ),
                start: at.clone(),
                props: result_props(view),
                reviewed_controls: ReviewedControls {
                    control_selections: frameworks
                        .iter()
                        .map(|(framework, mappings)| ControlSelection {
                            description: mappings.framework.clone(),
                            props: vec![prop("framework", framework.id())],
                            include_controls: mappings
                                .controls
                                .iter()
                                .map(|c| ControlId {
                                    control_id: c.control.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                },
                observations: controls()
                    .map(|(framework, c)| {
                        let uuid = id(&format!("observation:{}", c.control));
                        observation(uuid, framework, c, view, &at)
                    })
                    .collect(),
                findings: controls()
                    .map(|(framework, c)| finding(&id, framework, c))
                    .collect(),
            }],
            back_matter: BackMatter {
                resources: vec![
                    resource(
                        "resource:attestation",
                        "Signed attestation (DSSE, in-toto)".to_owned(),
                        format!("{base}/attestation"),
                        "application/json",
                        &digests.attestation,
                    ),
                    resource(
                        "resource:pdf",
                        "The package as a PDF".to_owned(),
                        format!("{base}/pdf"),
                        "application/pdf",
                        &digests.pdf,
                    ),
                    resource(
                        "resource:rules",
                        "The package as JSON (RFC 8785), with the rules that decide each criterion"
                            .to_owned(),
                        base,
                        "application/json",
                        &digests.json,
                    ),
                ],
            },
        },
    }
}

/// The result's props: the package's seal, and the log tree its figures were counted over.
fn result_props(view: &PackageView) -> Vec<Prop> {
    let mut props = vec![prop("package-seal", &view.header.content_sha256)];
    // An agent seen only in its traces declared nothing: the auditor must see that first.
    let registration = if view.content.agent.discovered {
        "discovered-unregistered"
    } else {
        "registered"
    };
    props.push(prop("agent-registration", registration));
    if let Some(log) = &view.content.log {
        props.push(prop("log-origin", &log.origin));
        props.push(prop("log-tree-size", &log.tree_size.to_string()));
        props.push(prop("log-root-hash", &log.root_hash));
    }
    props
}

fn prop(name: &'static str, value: &str) -> Prop {
    Prop {
        name,
        ns: NS,
        value: value.to_owned(),
    }
}

/// What the package found for one criterion: its evidence lines and the trail's figures.
fn observation(
    uuid: Uuid,
    framework: Framework,
    control: &ControlMapping,
    view: &PackageView,
    at: &str,
) -> Observation {
    let graph = &view.content.execution_graph;
    let evidence = if control.evidence.is_empty() {
        "No evidence in the audit trail.".to_owned()
    } else {
        control.evidence.join("; ")
    };
    let mut props = vec![
        prop("framework", framework.id()),
        prop("audit-entries", &graph.total_actions.to_string()),
    ];
    for (verdict, count) in &graph.policy_verdicts {
        props.push(prop("verdict-count", &format!("{verdict}: {count}")));
    }
    Observation {
        uuid,
        title: format!("{} {}", control.control, control.title),
        description: evidence,
        methods: vec!["EXAMINE"],
        props,
        collected: at.to_owned(),
    }
}

/// The finding on one criterion: satisfied only when the package finds it covered.
fn finding(id: &dyn Fn(&str) -> Uuid, framework: Framework, control: &ControlMapping) -> Finding {
    let state = match control.status {
        ControlStatus::Covered => "satisfied",
        ControlStatus::Partial | ControlStatus::NotEvidenced => "not-satisfied",
    };
    Finding {
        uuid: id(&format!("finding:{}", control.control)),
        title: format!("{} {}", control.control, control.title),
        description: format!("{}: {state}", control.control),
        props: vec![prop("framework", framework.id())],
        target: Target {
            kind: "objective-id",
            target_id: control.control.clone(),
            status: State { state },
        },
        related_observations: vec![RelatedObservation {
            observation_uuid: id(&format!("observation:{}", control.control)),
        }],
    }
}

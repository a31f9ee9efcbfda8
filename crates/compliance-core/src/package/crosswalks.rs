//! The frameworks auditors of AI agents ask for beside SOC 2 — ISO/IEC 42001, the EU AI Act and
//! NIST AI RMF — each a table of criteria judged from the same facts as the SOC 2 criteria and
//! the questionnaire; the rules are the crosswalk tables in `docs/packages.md`.

use serde::{Deserialize, Serialize};
use time::{Month, OffsetDateTime};

use super::PolicyEvidence;
use super::controls::{
    ControlMappings, Criterion, Judgement, cc6_1, cc6_6, cc6_7, cc9_2, judge_all, status,
};
use super::facts::{Facts, count, figure, list};

/// A framework a package can be judged against. SOC 2 is always judged (seed 000's
/// `control_mappings`); the others are crosswalks, judged when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Framework {
    #[serde(rename = "soc2")]
    Soc2,
    #[serde(rename = "iso_42001")]
    Iso42001,
    #[serde(rename = "eu_ai_act")]
    EuAiAct,
    #[serde(rename = "nist_ai_rmf")]
    NistAiRmf,
}

impl Framework {
    /// Every framework, in the order a package lists them.
    pub const ALL: &'static [Self] = &[Self::Soc2, Self::Iso42001, Self::EuAiAct, Self::NistAiRmf];

    /// The id `POST /v1/compliance` and the package's `crosswalks` name it by.
    pub fn id(self) -> &'static str {
        match self {
            Self::Soc2 => "soc2",
            Self::Iso42001 => "iso_42001",
            Self::EuAiAct => "eu_ai_act",
            Self::NistAiRmf => "nist_ai_rmf",
        }
    }

    /// The framework's title and its criteria in catalogue order; `None` for SOC 2, whose table
    /// is `control_mappings`.
    fn table(self) -> Option<(&'static str, &'static [Criterion])> {
        match self {
            Self::Soc2 => None,
            Self::Iso42001 => Some(("ISO/IEC 42001:2023 Annex A", &ISO_42001)),
            Self::EuAiAct => Some(("EU AI Act (Regulation (EU) 2024/1689)", &EU_AI_ACT)),
            Self::NistAiRmf => Some(("NIST AI RMF 1.0 (NIST AI 100-1)", &NIST_AI_RMF)),
        }
    }
}

/// One framework's criteria, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Crosswalk {
    pub framework_id: Framework,
    #[serde(flatten)]
    pub mappings: ControlMappings,
}

/// The crosswalks of `frameworks`, each once, in [`Framework::ALL`]'s order.
pub(super) fn crosswalks(
    frameworks: &[Framework],
    f: &Facts<'_>,
    policies: &[PolicyEvidence],
) -> Vec<Crosswalk> {
    Framework::ALL
        .iter()
        .filter(|framework| frameworks.contains(framework))
        .filter_map(|&framework| {
            let (title, criteria) = framework.table()?;
            Some(Crosswalk {
                framework_id: framework,
                mappings: judge_all(title, criteria, f, policies),
            })
        })
        .collect()
}

const ISO_42001: [Criterion; 6] = [
    Criterion {
        control: "A.4.4",
        title: "Tooling resources",
        judge: tooling,
    },
    Criterion {
        control: "A.6.2.6",
        title: "AI system operation and monitoring",
        judge: monitored,
    },
    Criterion {
        control: "A.6.2.8",
        title: "AI system recording of event logs",
        judge: recorded,
    },
    Criterion {
        control: "A.9.2",
        title: "Processes for responsible use of AI systems",
        judge: cc6_1,
    },
    Criterion {
        control: "A.10.2",
        title: "Allocating responsibilities",
        judge: responsibilities,
    },
    Criterion {
        control: "A.10.3",
        title: "Suppliers",
        judge: cc9_2,
    },
];

const EU_AI_ACT: [Criterion; 5] = [
    Criterion {
        control: "Art.12",
        title: "Record-keeping",
        judge: recorded,
    },
    Criterion {
        control: "Art.14",
        title: "Human oversight",
        judge: oversight,
    },
    Criterion {
        control: "Art.19",
        title: "Automatically generated logs kept at least six months (provider)",
        judge: retained,
    },
    Criterion {
        control: "Art.26.6",
        title: "Automatically generated logs kept at least six months (deployer)",
        judge: retained,
    },
    Criterion {
        control: "Art.72",
        title: "Post-market monitoring",
        judge: monitored,
    },
];

const NIST_AI_RMF: [Criterion; 5] = [
    Criterion {
        control: "GOVERN-6.1",
        title: "Policies address AI risks of third-party entities",
        judge: cc9_2,
    },
    Criterion {
        control: "MAP-4.1",
        title: "Risks of components, third-party data and software mapped",
        judge: cc6_7,
    },
    Criterion {
        control: "MEASURE-2.4",
        title: "Functionality and behaviour monitored in production",
        judge: monitored,
    },
    Criterion {
        control: "MANAGE-2.4",
        title: "Mechanisms to supersede, disengage or deactivate the system",
        judge: cc6_6,
    },
    Criterion {
        control: "MANAGE-4.1",
        title: "Post-deployment monitoring, incident response and change management",
        judge: post_deployment,
    },
];

/// The connectors configured, and those used without a configuration.
fn inventory(f: &Facts<'_>) -> String {
    format!(
        "{} configured; used but not configured: {}",
        count(f.inputs.connectors.len() as i64, "connector"),
        list(&f.unconfigured)
    )
}

/// tooling: every tool the agent uses is inventoried, and each declares what it may do.
fn tooling(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    Judgement {
        status: status(
            connectors > 0 && f.unconfigured.is_empty() && f.without_operations.is_empty(),
            connectors > 0,
        ),
        evidence: vec![
            inventory(f),
            format!(
                "connectors without declared operations: {}",
                list(&f.without_operations)
            ),
        ],
    }
}

/// monitored: the trail is evaluated by compliance policies, and no detected drift is left open.
fn monitored(f: &Facts<'_>, policies: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(
            f.total > 0 && !policies.is_empty() && f.drift_open() == 0,
            f.total > 0,
        ),
        evidence: vec![
            format!("{} {}", count(f.total, "audit entry"), f.period()),
            format!(
                "{} evaluated over the trail; {} drift events open",
                count(policies.len() as i64, "compliance policy"),
                figure(f.drift_open())
            ),
        ],
    }
}

/// recorded: the agent's actions are logged, each with its verdict and its outcome.
fn recorded(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(f.total > 0 && f.entries_incomplete == 0, f.total > 0),
        evidence: vec![format!(
            "{} {}, {} without a verdict or a status",
            count(f.total, "audit entry"),
            f.period(),
            figure(f.entries_incomplete)
        )],
    }
}

/// responsibilities: every party the agent's data reaches is named, with what it does.
fn responsibilities(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let connectors = f.inputs.connectors.len();
    let unnamed: Vec<String> = f
        .inputs
        .connectors
        .iter()
        .filter(|c| c.vendor.trim().is_empty() || c.purpose.trim().is_empty())
        .map(|c| c.connector_type.clone())
        .collect();
    Judgement {
        status: status(
            connectors > 0 && f.unconfigured.is_empty() && unnamed.is_empty(),
            connectors > 0,
        ),
        evidence: vec![
            inventory(f),
            format!(
                "connectors without a vendor or a purpose: {}",
                list(&unnamed)
            ),
        ],
    }
}

/// oversight: escalate rules put a human in the loop, and every approval asked was given.
fn oversight(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(
            f.escalate_rules > 0
                && f.approvals_requested > 0
                && f.approvals_reviewed >= f.approvals_requested,
            f.escalate_rules > 0 || f.approvals_requested > 0,
        ),
        evidence: vec![
            count(f.escalate_rules as i64, "escalate rule"),
            format!(
                "{} requested, {} reviewed",
                count(f.approvals_requested, "approval"),
                figure(f.approvals_reviewed)
            ),
        ],
    }
}

/// retained: the trail still holds entries six calendar months older than its newest.
fn retained(f: &Facts<'_>, _: &[PolicyEvidence]) -> Judgement {
    let span = f.graph.first_action.zip(f.graph.last_action);
    Judgement {
        status: status(
            span.is_some_and(|(first, last)| six_months_after(first) <= last),
            f.total > 0,
        ),
        evidence: vec![format!(
            "{} {}; the trail is append-only",
            count(f.total, "audit entry"),
            f.period()
        )],
    }
}

/// post_deployment: deployments are recorded and, after them, the trail is monitored, every
/// approval reviewed and no drift left open.
fn post_deployment(f: &Facts<'_>, policies: &[PolicyEvidence]) -> Judgement {
    Judgement {
        status: status(
            f.deployments > 0
                && !policies.is_empty()
                && f.drift_open() == 0
                && f.approvals_reviewed >= f.approvals_requested,
            f.deployments > 0 || f.total > 0,
        ),
        evidence: vec![
            format!(
                "{} (agent.deployed) among {}",
                count(f.deployments, "deployment"),
                count(f.total, "audit entry")
            ),
            format!(
                "{} evaluated; {} drift events open; {} requested, {} reviewed",
                count(policies.len() as i64, "compliance policy"),
                figure(f.drift_open()),
                count(f.approvals_requested, "approval"),
                figure(f.approvals_reviewed)
            ),
        ],
    }
}

/// The same day and time six calendar months later, on the month's last day when it is shorter
/// (31 August → 28 or 29 February).
fn six_months_after(at: OffsetDateTime) -> OffsetDateTime {
    let months = at.year() * 12 + i32::from(u8::from(at.month())) - 1 + 6;
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    // `month` is in 1..=12 by `rem_euclid`, so the conversion cannot fail.
    let month = Month::try_from(month as u8).unwrap_or(Month::December);
    let day = at.day().min(month.length(year));
    at.replace_day(1)
        .and_then(|at| at.replace_year(year))
        .and_then(|at| at.replace_month(month))
        .and_then(|at| at.replace_day(day))
        // Only a year beyond time's range fails; no trail reaches it, so never retained then.
        .unwrap_or(OffsetDateTime::new_utc(
            time::Date::MAX,
            time::Time::MIDNIGHT,
        ))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::six_months_after;

    #[test]
    fn six_months_are_calendar_months_clamped_to_the_shorter_month() {
        assert_eq!(
            six_months_after(datetime!(2026-01-15 10:00 UTC)),
            datetime!(2026-07-15 10:00 UTC)
        );
        assert_eq!(
            six_months_after(datetime!(2025-08-31 00:00 UTC)),
            datetime!(2026-02-28 00:00 UTC)
        );
        assert_eq!(
            six_months_after(datetime!(2027-08-31 00:00 UTC)),
            datetime!(2028-02-29 00:00 UTC)
        );
        assert_eq!(
            six_months_after(datetime!(2026-09-30 23:59 UTC)),
            datetime!(2027-03-30 23:59 UTC)
        );
    }
}

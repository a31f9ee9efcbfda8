//! What changed between two packages of one agent: the comparison an auditor makes between this
//! quarter's package and the last.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::PackageContent;

/// Everything that differs from the earlier package (`from`) to the later one (`to`); empty
/// lists where nothing did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageDiff {
    /// The connectors of the data-flow diagram.
    pub connectors: Changed,
    /// What the agent's profile permits: systems, actions (operations), data types.
    pub permitted_systems: Changed,
    pub permitted_actions: Changed,
    pub permitted_data_types: Changed,
    /// Sub-processors by name.
    pub sub_processors: Changed,
    /// Regions of the sub-processors in both packages.
    pub regions: Vec<RegionChange>,
    /// Control statuses (SOC 2 and each crosswalk) and questionnaire answers that moved.
    pub answers: Vec<AnswerChange>,
    /// Counts that changed, by name (`operations_performed.read`, `drift.open`, …).
    pub figures: Vec<FigureChange>,
    /// Compliance policy verdicts that flipped, and policies present in only one package.
    pub policies: Vec<VerdictChange>,
}

impl PackageDiff {
    /// Whether the two packages say the same in every compared part.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Names added and removed, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changed {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Changed {
    fn of<'a>(
        from: impl IntoIterator<Item = &'a String>,
        to: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        let (from, to): (BTreeSet<&String>, BTreeSet<&String>) =
            (from.into_iter().collect(), to.into_iter().collect());
        Self {
            added: to.difference(&from).map(|s| (*s).clone()).collect(),
            removed: from.difference(&to).map(|s| (*s).clone()).collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionChange {
    pub sub_processor: String,
    #[serde(flatten)]
    pub regions: Changed,
}

/// One control's status or one question's answer, absent (`None`) where the package has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerChange {
    /// `SOC 2`, a crosswalk's framework, or the questionnaire's catalogue.
    pub section: String,
    pub id: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FigureChange {
    pub figure: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// A policy's verdict in each package (`true`: compliant), absent where it was not evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictChange {
    pub identity: String,
    pub display_name: String,
    pub from: Option<bool>,
    pub to: Option<bool>,
}

/// What changed from `from` to `to`.
pub fn diff(earlier: &PackageContent, later: &PackageContent) -> PackageDiff {
    let (from, to) = (earlier, later);
    let sub_processors = |p: &PackageContent| -> BTreeMap<String, BTreeSet<String>> {
        p.sub_processors
            .iter()
            .map(|s| (s.name.clone(), s.regions.iter().cloned().collect()))
            .collect()
    };
    let (was, now) = (sub_processors(from), sub_processors(to));
    let regions = now
        .iter()
        .filter_map(|(name, regions)| {
            let before = was.get(name)?;
            let regions = Changed::of(before, regions);
            (!regions.is_empty()).then(|| RegionChange {
                sub_processor: name.clone(),
                regions,
            })
        })
        .collect();
    PackageDiff {
        connectors: Changed::of(connectors(from), connectors(to)),
        permitted_systems: Changed::of(&from.agent.permitted_systems, &to.agent.permitted_systems),
        permitted_actions: Changed::of(&from.agent.permitted_actions, &to.agent.permitted_actions),
        permitted_data_types: Changed::of(
            &from.agent.permitted_data_types,
            &to.agent.permitted_data_types,
        ),
        sub_processors: Changed::of(was.keys(), now.keys()),
        regions,
        answers: changes(&answers(from), &answers(to), |(section, id), from, to| {
            AnswerChange {
                section: section.clone(),
                id: id.clone(),
                from,
                to,
            }
        }),
        figures: changes(&figures(from), &figures(to), |figure, from, to| {
            FigureChange {
                figure: figure.clone(),
                from,
                to,
            }
        }),
        policies: changes(&verdicts(from), &verdicts(to), |identity, from, to| {
            let named = |p: &PackageContent| {
                p.compliance_policies
                    .iter()
                    .find(|e| &e.identity == identity)
                    .map(|e| e.display_name.clone())
            };
            VerdictChange {
                identity: identity.clone(),
                display_name: named(later).or_else(|| named(earlier)).unwrap_or_default(),
                from,
                to,
            }
        }),
    }
}

fn connectors(p: &PackageContent) -> impl Iterator<Item = &String> {
    p.data_flow_diagram.connectors.iter().map(|c| &c.name)
}

/// Every key whose value differs between the two maps (or is in only one), in key order.
fn changes<K: Ord, V: PartialEq + Clone, C>(
    from: &BTreeMap<K, V>,
    to: &BTreeMap<K, V>,
    change: impl Fn(&K, Option<V>, Option<V>) -> C,
) -> Vec<C> {
    let keys: BTreeSet<&K> = from.keys().chain(to.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (from.get(key), to.get(key));
            (a != b).then(|| change(key, a.cloned(), b.cloned()))
        })
        .collect()
}

/// (section, id) → status or answer, as the JSON spells it.
fn answers(p: &PackageContent) -> BTreeMap<(String, String), String> {
    let frameworks =
        std::iter::once(&p.control_mappings).chain(p.crosswalks.iter().map(|c| &c.mappings));
    let controls = frameworks.flat_map(|m| {
        m.controls
            .iter()
            .map(|c| ((m.framework.clone(), c.control.clone()), spelled(&c.status)))
    });
    let questions = p.vsq_responses.responses.iter().map(|r| {
        (
            (p.vsq_responses.catalogue.clone(), r.id.clone()),
            spelled(&r.answer),
        )
    });
    controls.chain(questions).collect()
}

/// Name → count, for every count the package states.
fn figures(p: &PackageContent) -> BTreeMap<String, i64> {
    let graph = &p.execution_graph;
    let mut figures = BTreeMap::from([
        ("total_actions".to_owned(), graph.total_actions),
        ("drift.detected".to_owned(), p.drift.detected),
        ("drift.resolved".to_owned(), p.drift.resolved),
        (
            "drift.open".to_owned(),
            i64::try_from(p.drift.open.len()).unwrap_or(i64::MAX),
        ),
    ]);
    let named = [
        ("operations_performed", &graph.operations_performed),
        ("policy_verdicts", &graph.policy_verdicts),
        ("statuses", &graph.statuses),
        ("drift.by_severity", &p.drift.by_severity),
    ];
    for (prefix, counts) in named {
        figures.extend(counts.iter().map(|(k, v)| (format!("{prefix}.{k}"), *v)));
    }
    figures.extend(
        p.sub_processors
            .iter()
            .map(|s| (format!("sub_processors.{}.calls", s.name), s.calls)),
    );
    if let Some(limit) = p.agent.max_actions_per_hour {
        figures.insert("max_actions_per_hour".to_owned(), i64::from(limit));
    }
    figures
}

/// Policy identity → compliant.
fn verdicts(p: &PackageContent) -> BTreeMap<String, bool> {
    p.compliance_policies
        .iter()
        .map(|e| (e.identity.clone(), e.compliant))
        .collect()
}

/// An enum value as its JSON spells it (each serializes as a string).
fn spelled(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        other => format!("{other:?}"),
    }
}

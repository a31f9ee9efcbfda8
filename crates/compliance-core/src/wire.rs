//! The archivist wire form of a compliance policy (seed 003), and its validation.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clauses::OrGroup;
use crate::{
    AssetFilter, Clauses, CompliancePolicy, ComplianceType, MAX_EVENT_TYPE, MAX_PERIOD, Policy,
    PolicySpec, RichnessAssertions,
};

const IDENTITY_PREFIX: &str = "compliance_policies/";
/// Longest display name, in characters.
const MAX_NAME: usize = 1024;
/// Longest description, in characters.
const MAX_DESCRIPTION: usize = 16 * 1024;
/// Most terms in one filter or one set of assertions.
const MAX_TERMS: usize = 1000;

/// A policy on the wire. Every field is optional on input and written on output, with its
/// default when the type does not use it, as the archivist service does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyBody {
    /// `compliance_policies/<uuid>`; ignored on input.
    pub identity: String,
    pub compliance_type: String,
    pub description: String,
    pub display_name: String,
    pub asset_filter: Vec<OrGroup>,
    pub event_display_type: String,
    pub closing_event_display_type: String,
    pub time_period_seconds: Seconds,
    pub dynamic_window: Seconds,
    pub dynamic_variability: Variability,
    pub richness_assertions: Vec<OrGroup>,
    /// Our extension: the SOC 2 criteria the policy evidences. Absent from archivist bodies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
}

/// A bad policy: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: String,
    pub message: String,
}

impl PolicyError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A count of seconds, read from a number or a numeric string and written as a string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seconds(pub i64);

/// A number of standard deviations, read from a number or a numeric string, written as a number.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Variability(pub f64);

impl PolicySpec {
    /// Parses and validates a policy from its JSON wire form; the error names the bad field.
    pub fn from_json(json: &[u8]) -> Result<Self, PolicyError> {
        let value: serde_json::Value = serde_json::from_slice(json)
            .map_err(|error| PolicyError::new("body", error.to_string()))?;
        // serde would also read a struct from an array of its fields; the wire form is an object.
        if !value.is_object() {
            return Err(PolicyError::new("body", "expected a JSON object"));
        }
        let body: PolicyBody = serde_path_to_error::deserialize(value).map_err(|error| {
            let field = error.path().to_string();
            PolicyError::new(field, error.into_inner().to_string())
        })?;
        Self::try_from(body)
    }
}

impl TryFrom<PolicyBody> for PolicySpec {
    type Error = PolicyError;

    /// Every field is checked for form whatever the type, so a malformed field is an error even
    /// where the type does not use it; a well-formed unused field is ignored (seed 003's own
    /// sample response carries `time_period_seconds` on a CURRENT_OUTSTANDING policy).
    fn try_from(body: PolicyBody) -> Result<Self, Self::Error> {
        let required = Required(compliance_type(&body.compliance_type)?);
        let display_name = display_name(&body.display_name)?;
        let description = text("description", &body.description, MAX_DESCRIPTION)?;
        let asset_filter: AssetFilter = clauses("asset_filter", &body.asset_filter)?;
        let typed = TypedFields::checked(&body)?;
        let controls = controls(&body.controls)?;
        Ok(Self {
            display_name,
            description,
            asset_filter,
            policy: typed.policy(&required)?,
            controls,
        })
    }
}

/// The policy type a body names, or the list of those it could have named.
fn compliance_type(name: &str) -> Result<ComplianceType, PolicyError> {
    name.parse().map_err(|()| {
        let names: Vec<_> = ComplianceType::ALL.iter().map(|t| t.name()).collect();
        PolicyError::new(
            "compliance_type",
            format!(
                "{name:?} is not a policy type; expected one of {}",
                names.join(", ")
            ),
        )
    })
}

/// The display name, which every type requires.
fn display_name(name: &str) -> Result<String, PolicyError> {
    if name.trim().is_empty() {
        return Err(PolicyError::new(
            "display_name",
            "required and must not be blank",
        ));
    }
    text("display_name", name, MAX_NAME)
}

/// The fields only some policy types use, each checked for form whatever the type.
struct TypedFields {
    opening: String,
    closing: String,
    time_period: Option<Duration>,
    dynamic_window: Option<Duration>,
    dynamic_variability: f64,
    richness_assertions: RichnessAssertions,
}

impl TypedFields {
    /// The fields read from `body`, in the order their errors are reported.
    fn checked(body: &PolicyBody) -> Result<Self, PolicyError> {
        let opening = text(
            "event_display_type",
            &body.event_display_type,
            MAX_EVENT_TYPE,
        )?;
        let closing = text(
            "closing_event_display_type",
            &body.closing_event_display_type,
            MAX_EVENT_TYPE,
        )?;
        let time_period = period("time_period_seconds", body.time_period_seconds)?;
        let dynamic_window = period("dynamic_window", body.dynamic_window)?;
        let Variability(dynamic_variability) = body.dynamic_variability;
        if !dynamic_variability.is_finite() || dynamic_variability < 0.0 {
            return Err(PolicyError::new(
                "dynamic_variability",
                "must be a finite number of standard deviations, zero or more",
            ));
        }
        let richness_assertions = clauses("richness_assertions", &body.richness_assertions)?;
        Ok(Self {
            opening,
            closing,
            time_period,
            dynamic_window,
            dynamic_variability,
            richness_assertions,
        })
    }

    /// The policy of the `required` type, from the fields that type needs.
    fn policy(self, required: &Required) -> Result<Policy, PolicyError> {
        match required.0 {
            ComplianceType::Since => self.since(required),
            ComplianceType::CurrentOutstanding => self.current_outstanding(required),
            ComplianceType::PeriodOutstanding => self.period_outstanding(required),
            ComplianceType::DynamicTolerance => self.dynamic_tolerance(required),
            ComplianceType::Richness => self.richness(),
        }
    }

    /// COMPLIANCE_SINCE: an event type and a period.
    fn since(self, required: &Required) -> Result<Policy, PolicyError> {
        Ok(Policy::Since {
            event_display_type: required.text("event_display_type", self.opening)?,
            time_period: required.period("time_period_seconds", self.time_period)?,
        })
    }

    /// COMPLIANCE_CURRENT_OUTSTANDING: an opening and a closing event type.
    fn current_outstanding(self, required: &Required) -> Result<Policy, PolicyError> {
        let (event_display_type, closing_event_display_type) =
            required.pair(self.opening, self.closing)?;
        Ok(Policy::CurrentOutstanding {
            event_display_type,
            closing_event_display_type,
        })
    }

    /// COMPLIANCE_PERIOD_OUTSTANDING: an opening and a closing event type, and a period.
    fn period_outstanding(self, required: &Required) -> Result<Policy, PolicyError> {
        let (event_display_type, closing_event_display_type) =
            required.pair(self.opening, self.closing)?;
        Ok(Policy::PeriodOutstanding {
            event_display_type,
            closing_event_display_type,
            time_period: required.period("time_period_seconds", self.time_period)?,
        })
    }

    /// COMPLIANCE_DYNAMIC_TOLERANCE: an opening and a closing event type, a window, a variability.
    fn dynamic_tolerance(self, required: &Required) -> Result<Policy, PolicyError> {
        let (event_display_type, closing_event_display_type) =
            required.pair(self.opening, self.closing)?;
        Ok(Policy::DynamicTolerance {
            event_display_type,
            closing_event_display_type,
            dynamic_window: required.period("dynamic_window", self.dynamic_window)?,
            dynamic_variability: self.dynamic_variability,
        })
    }

    /// COMPLIANCE_RICHNESS: at least one group of assertions.
    fn richness(self) -> Result<Policy, PolicyError> {
        if self.richness_assertions.is_empty() {
            return Err(PolicyError::new(
                "richness_assertions",
                "required for COMPLIANCE_RICHNESS: at least one {\"or\": [...]} group",
            ));
        }
        Ok(Policy::Richness {
            richness_assertions: self.richness_assertions,
        })
    }
}

/// Criteria ids of any framework, such as `CC7.2`, `A.6.2.8`, `Art.12` or `GOVERN-6.1`: a
/// capital letter, then letters, digits, dots and hyphens (an OSCAL token, as its control-id).
fn controls(controls: &[String]) -> Result<Vec<String>, PolicyError> {
    if controls.len() > 64 {
        return Err(PolicyError::new("controls", "at most 64 criteria"));
    }
    for (i, control) in controls.iter().enumerate() {
        let well_formed = control.len() <= 16
            && control.starts_with(|c: char| c.is_ascii_uppercase())
            && control
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !well_formed {
            return Err(PolicyError::new(
                format!("controls[{i}]"),
                format!("{control:?} is not a criterion id such as CC7.2"),
            ));
        }
    }
    Ok(controls.to_vec())
}

fn text(field: &str, value: &str, max: usize) -> Result<String, PolicyError> {
    if value.chars().count() > max {
        return Err(PolicyError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A period: zero (unset) or a positive number of seconds up to [`MAX_PERIOD`].
fn period(field: &str, Seconds(seconds): Seconds) -> Result<Option<Duration>, PolicyError> {
    let Ok(seconds) = u64::try_from(seconds) else {
        return Err(PolicyError::new(
            field,
            "must be a positive number of seconds",
        ));
    };
    let period = Duration::from_secs(seconds);
    if period > MAX_PERIOD {
        return Err(PolicyError::new(
            field,
            format!("at most {} seconds (100 years)", MAX_PERIOD.as_secs()),
        ));
    }
    Ok((seconds > 0).then_some(period))
}

/// The fields a policy type requires.
struct Required(ComplianceType);

impl Required {
    fn text(&self, field: &str, value: String) -> Result<String, PolicyError> {
        if value.trim().is_empty() {
            return Err(PolicyError::new(field, format!("required for {}", self.0)));
        }
        Ok(value)
    }

    fn period(&self, field: &str, period: Option<Duration>) -> Result<Duration, PolicyError> {
        period.ok_or_else(|| {
            PolicyError::new(
                field,
                format!("required for {}: a positive number of seconds", self.0),
            )
        })
    }

    /// The opening and closing display types of a pairing policy, which must differ.
    fn pair(&self, opening: String, closing: String) -> Result<(String, String), PolicyError> {
        let opening = self.text("event_display_type", opening)?;
        let closing = self.text("closing_event_display_type", closing)?;
        if opening == closing {
            return Err(PolicyError::new(
                "closing_event_display_type",
                "must differ from event_display_type: an event cannot close itself",
            ));
        }
        Ok((opening, closing))
    }
}

fn clauses<T>(field: &str, groups: &[OrGroup]) -> Result<Clauses<T>, PolicyError>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    let terms: usize = groups.iter().map(|group| group.or.len()).sum();
    if terms > MAX_TERMS {
        return Err(PolicyError::new(
            field,
            format!("more than {MAX_TERMS} terms"),
        ));
    }
    Clauses::parse(groups).map_err(|error| {
        let path = match error.term {
            Some(term) => format!("{field}[{}].or[{term}]", error.group),
            None => format!("{field}[{}].or", error.group),
        };
        PolicyError::new(path, error.message)
    })
}

impl From<&CompliancePolicy> for PolicyBody {
    fn from(policy: &CompliancePolicy) -> Self {
        let spec = &policy.spec;
        let mut body = Self {
            identity: format!("{IDENTITY_PREFIX}{}", policy.id),
            compliance_type: spec.policy.compliance_type().name().to_owned(),
            description: spec.description.clone(),
            display_name: spec.display_name.clone(),
            asset_filter: spec.asset_filter.to_wire(),
            controls: spec.controls.clone(),
            ..Self::default()
        };
        let seconds = |d: &Duration| Seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        match &spec.policy {
            Policy::Since {
                event_display_type,
                time_period,
            } => {
                body.event_display_type = event_display_type.clone();
                body.time_period_seconds = seconds(time_period);
            }
            Policy::CurrentOutstanding {
                event_display_type,
                closing_event_display_type,
            } => {
                body.event_display_type = event_display_type.clone();
                body.closing_event_display_type = closing_event_display_type.clone();
            }
            Policy::PeriodOutstanding {
                event_display_type,
                closing_event_display_type,
                time_period,
            } => {
                body.event_display_type = event_display_type.clone();
                body.closing_event_display_type = closing_event_display_type.clone();
                body.time_period_seconds = seconds(time_period);
            }
            Policy::DynamicTolerance {
                event_display_type,
                closing_event_display_type,
                dynamic_window,
                dynamic_variability,
            } => {
                body.event_display_type = event_display_type.clone();
                body.closing_event_display_type = closing_event_display_type.clone();
                body.dynamic_window = seconds(dynamic_window);
                body.dynamic_variability = Variability(*dynamic_variability);
            }
            Policy::Richness {
                richness_assertions,
            } => body.richness_assertions = richness_assertions.to_wire(),
        }
        body
    }
}

impl CompliancePolicy {
    /// The identity on the wire: `compliance_policies/<uuid>`.
    pub fn identity(&self) -> String {
        format!("{IDENTITY_PREFIX}{}", self.id)
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecondsVisitor)
    }
}

struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = Seconds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number of seconds, as a number or a numeric string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
        Ok(Seconds(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
        i64::try_from(v)
            .map(Seconds)
            .map_err(|_| E::custom("too many seconds"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
        // i64::MAX as f64 rounds up, so the bound is exclusive.
        if v.fract() == 0.0 && v.abs() < i64::MAX as f64 {
            #[allow(clippy::cast_possible_truncation)] // whole and within range, checked above
            Ok(Seconds(v as i64))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seconds, E> {
        if let Ok(seconds) = v.parse::<i64>() {
            return Ok(Seconds(seconds));
        }
        match v.parse::<f64>() {
            Ok(float) if float.is_finite() => self.visit_f64(float),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl Serialize for Variability {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(value) = *self;
        // Whole values print as integers (`0`, `2`), as the archivist service writes them.
        if value.fract() == 0.0 && value.abs() < 1e15 {
            #[allow(clippy::cast_possible_truncation)] // whole and far within i64, checked above
            return serializer.serialize_i64(value as i64);
        }
        serializer.serialize_f64(value)
    }
}

impl<'de> Deserialize<'de> for Variability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VariabilityVisitor)
    }
}

struct VariabilityVisitor;

impl Visitor<'_> for VariabilityVisitor {
    type Value = Variability;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of standard deviations, as a number or a numeric string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Variability, E> {
        #[allow(clippy::cast_precision_loss)] // a count of deviations; precision is irrelevant here
        Ok(Variability(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Variability, E> {
        #[allow(clippy::cast_precision_loss)] // as above
        Ok(Variability(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Variability, E> {
        Ok(Variability(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Variability, E> {
        v.parse()
            .map(Variability)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

//! An AI agent's domain (seed 000), owned here so that the store keeps, the HTTP layer shows and
//! the package is computed from the same types: what the agent declares, the connectors it
//! reaches, the rules the policy engine holds it to, and the entries of its audit trail.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

/// The agent as it declared itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentProfile {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub permitted_systems: Vec<String>,
    /// Actions such as `detections:read`, or `detections:*` for any action on a resource.
    pub permitted_actions: Vec<String>,
    pub permitted_data_types: Vec<String>,
    pub max_actions_per_hour: Option<i32>,
    /// First seen in its traces, never registered (docs/ingest.md). Written only when true, so
    /// packages of registered agents read as they always did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discovered: bool,
}

/// A connector configuration: a vendor system the agent reaches. No credentials, ever.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorConfig {
    /// What audit entries name as `connector`, such as `crowdstrike`.
    pub connector_type: String,
    pub vendor: String,
    pub purpose: String,
    pub data_categories: Vec<String>,
    pub region: String,
    /// `resource:action` pairs.
    pub permitted_operations: Vec<String>,
}

/// What a policy rule makes of a matching action.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleType {
    #[default]
    Permit,
    Deny,
    Escalate,
}

/// A policy rule of the policy engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyRule {
    pub name: String,
    pub rule_type: RuleType,
    pub connector: String,
    /// A glob over actions, such as `detections:*`.
    pub action_pattern: String,
    /// 0–100.
    pub risk_threshold: i32,
}

/// The policy engine's verdict on one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Permit,
    Escalate,
    Deny,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Error,
    Blocked,
}

/// The names an enum is written as, in the API, the database and the package.
macro_rules! named {
    ($type:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        impl $type {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(text: &str) -> Result<Self, UnknownName> {
                match text {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(UnknownName {
                        allowed: [$($name),+].join(", "),
                    }),
                }
            }
        }
    };
}

named!(RuleType { Permit = "permit", Deny = "deny", Escalate = "escalate" });
named!(Verdict { Permit = "PERMIT", Escalate = "ESCALATE", Deny = "DENY" });
named!(Outcome { Success = "success", Error = "error", Blocked = "blocked" });

/// A name none of an enum's values has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of {allowed}")]
pub struct UnknownName {
    allowed: String,
}

/// An audit entry's metadata, a JSON object kept as its text: a batch of entries is held as the
/// bytes it arrived in, never expanded into a tree of values in memory.
#[derive(Debug, Clone)]
pub struct Metadata(Box<RawValue>);

impl Metadata {
    /// Metadata from JSON text, checked to be JSON but not parsed into values.
    pub fn from_text(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }

    pub fn from_value(value: &serde_json::Value) -> Self {
        // A Value always serializes; were it not to, the metadata would be empty.
        serde_json::value::to_raw_value(value).map_or_else(|_| Self::default(), Self)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The metadata as a value; stored metadata is always an object.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get())
            .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()))
    }
}

impl Default for Metadata {
    /// The empty object.
    fn default() -> Self {
        // `{}` is valid JSON, so the conversion cannot fail.
        RawValue::from_string("{}".to_owned()).map_or_else(|_| unreachable!("{{}} is JSON"), Self)
    }
}

impl PartialEq for Metadata {
    /// The same JSON, however it is spaced (PostgreSQL writes `{"k": 1}` for `{"k":1}`).
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get() || self.to_value() == other.to_value()
    }
}

impl Eq for Metadata {}

impl Serialize for Metadata {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// One entry of an agent's audit trail, as the agent (or the server) declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub agent_id: Uuid,
    /// Such as `connector.called`, `drift.detected`, `package.generated`.
    pub action_type: String,
    pub connector: Option<String>,
    pub target_resource: Option<String>,
    pub policy_verdict: Option<Verdict>,
    pub status: Option<Outcome>,
    pub duration_ms: Option<i64>,
    /// Ties entries of one operation together (a drift and its resolution, a trace).
    pub correlation_id: Option<String>,
    pub metadata: Metadata,
    /// When it happened, as declared; the time the server accepts it when `None`.
    pub declared_at: Option<OffsetDateTime>,
}

impl AuditEntry {
    /// The one constructor: an entry of `action_type` for `agent_id`, every other field unset,
    /// to be filled in by name.
    pub fn new(agent_id: Uuid, action_type: impl Into<String>) -> Self {
        Self {
            agent_id,
            action_type: action_type.into(),
            connector: None,
            target_resource: None,
            policy_verdict: None,
            status: None,
            duration_ms: None,
            correlation_id: None,
            metadata: Metadata::default(),
            declared_at: None,
        }
    }
}

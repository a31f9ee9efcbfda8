use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use uuid::Uuid;

use crate::{AssetFilter, RichnessAssertions};

/// The longest period a policy may name (100 years): keeps time arithmetic far from overflow.
pub const MAX_PERIOD: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The five policy types of seed 003, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplianceType {
    Since,
    CurrentOutstanding,
    PeriodOutstanding,
    DynamicTolerance,
    Richness,
}

impl ComplianceType {
    pub const ALL: [Self; 5] = [
        Self::Since,
        Self::CurrentOutstanding,
        Self::PeriodOutstanding,
        Self::DynamicTolerance,
        Self::Richness,
    ];

    /// The name the archivist API uses, such as `COMPLIANCE_SINCE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Since => "COMPLIANCE_SINCE",
            Self::CurrentOutstanding => "COMPLIANCE_CURRENT_OUTSTANDING",
            Self::PeriodOutstanding => "COMPLIANCE_PERIOD_OUTSTANDING",
            Self::DynamicTolerance => "COMPLIANCE_DYNAMIC_TOLERANCE",
            Self::Richness => "COMPLIANCE_RICHNESS",
        }
    }
}

impl fmt::Display for ComplianceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ComplianceType {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.name() == name).ok_or(())
    }
}

/// What a policy tests, with exactly the fields its type needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    /// The newest `event_display_type` event is at most `time_period` old.
    Since {
        event_display_type: String,
        time_period: Duration,
    },
    /// Every opening event has its closing event.
    CurrentOutstanding {
        event_display_type: String,
        closing_event_display_type: String,
    },
    /// Every opening event was (or, if still open, is so far) closed within `time_period`.
    PeriodOutstanding {
        event_display_type: String,
        closing_event_display_type: String,
        time_period: Duration,
    },
    /// Pairs closed within `dynamic_window` lie within `dynamic_variability` standard
    /// deviations of their mean duration.
    DynamicTolerance {
        event_display_type: String,
        closing_event_display_type: String,
        dynamic_window: Duration,
        dynamic_variability: f64,
    },
    /// The asset's attributes satisfy the assertions.
    Richness {
        richness_assertions: RichnessAssertions,
    },
}

impl Policy {
    pub fn compliance_type(&self) -> ComplianceType {
        match self {
            Self::Since { .. } => ComplianceType::Since,
            Self::CurrentOutstanding { .. } => ComplianceType::CurrentOutstanding,
            Self::PeriodOutstanding { .. } => ComplianceType::PeriodOutstanding,
            Self::DynamicTolerance { .. } => ComplianceType::DynamicTolerance,
            Self::Richness { .. } => ComplianceType::Richness,
        }
    }
}

/// A policy as a user defines it, before the server gives it an identity.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySpec {
    pub display_name: String,
    pub description: String,
    /// Which assets the policy applies to.
    pub asset_filter: AssetFilter,
    pub policy: Policy,
    /// SOC 2 criteria (such as `CC7.2`) this policy evidences in compliance packages: an
    /// extension of the archivist form, written back only when there are some.
    pub controls: Vec<String>,
}

/// A stored policy: a spec and its identity (`compliance_policies/<id>` on the wire).
#[derive(Debug, Clone, PartialEq)]
pub struct CompliancePolicy {
    pub id: Uuid,
    pub spec: PolicySpec,
}

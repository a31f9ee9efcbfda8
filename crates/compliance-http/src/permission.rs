//! What a request may do, proved in the handler's signature: a handler takes
//! `Tenant<Record>` (say), so one without its permission does not compile, and the permission
//! matrix of `docs/api.md` is [`allowed`], in one place.

use compliance_store::Role;

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Any read, and compliance checks.
    Read,
    /// Create or delete the archivist's compliance policies.
    ManageCompliancePolicies,
    /// Create the `/v1` policy engine's rules.
    ManagePolicyRules,
    /// Create assets, events, agents, connectors and audit entries.
    Record,
    /// Generate compliance packages.
    GeneratePackages,
    /// Rotate the org's signing key.
    ManageKeys,
    /// Change the org's settings (what trace ingestion keeps).
    ManageSettings,
}

/// The permission matrix.
pub fn allowed(role: Role, action: Action) -> bool {
    match action {
        Action::Read => true,
        Action::ManageCompliancePolicies
        | Action::ManagePolicyRules
        | Action::ManageKeys
        | Action::ManageSettings => role == Role::Admin,
        Action::Record => matches!(role, Role::Admin | Role::Deployer),
        Action::GeneratePackages => matches!(role, Role::Admin | Role::Auditor),
    }
}

/// A permission a handler's `Tenant<P>` demands.
pub trait Permission {
    const ACTION: Action;
}

/// A permission that writes: only these open [`crate::Tenant::write`].
pub trait Writes: Permission {}

macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident = $action:ident $(, $writes:ident)?;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Permission for $name {
            const ACTION: Action = Action::$action;
        }

        $(impl $writes for $name {})?
    )+};
}

permissions! {
    /// Any role.
    Read = Read;
    /// Admin.
    ManageCompliancePolicies = ManageCompliancePolicies, Writes;
    /// Admin.
    ManagePolicyRules = ManagePolicyRules, Writes;
    /// Admin or deployer.
    Record = Record, Writes;
    /// Admin or auditor.
    GeneratePackages = GeneratePackages, Writes;
    /// Admin.
    ManageKeys = ManageKeys, Writes;
    /// Admin.
    ManageSettings = ManageSettings, Writes;
}

//! Organizations and API tokens: the operator paths, run as the schema owner.

use std::fmt;
use std::str::FromStr;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::models::revocations;
use crate::schema::{api_tokens, organizations};
use crate::{Store, StoreError, StoreResult, TenantConn};

/// What a token may do; the permission matrix is in `docs/api.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Deployer,
    Auditor,
    Viewer,
}

impl Role {
    pub const ALL: [Self; 4] = [Self::Admin, Self::Deployer, Self::Auditor, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Deployer => "deployer",
            Self::Auditor => "auditor",
            Self::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a role: admin, deployer, auditor or viewer"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organizations, check_for_backend(diesel::pg::Pg))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
}

/// Who is calling: the org and role of an authenticated token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub org: Uuid,
    pub token: Uuid,
    pub role: Role,
}

/// A token as issued: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: Uuid,
    pub org: Uuid,
    pub role: Role,
    pub secret: String,
}

const SECRET_PREFIX: &str = "cst_";

fn secret_sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

impl Store {
    /// The org named `name`, created if it does not exist.
    pub async fn ensure_organization(&self, name: &str) -> StoreResult<Organization> {
        let mut conn = self.operator().await?;
        diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(Uuid::new_v4()),
                organizations::name.eq(name),
            ))
            .on_conflict(organizations::name)
            .do_nothing()
            .execute(&mut conn)
            .await?;
        Ok(organizations::table
            .filter(organizations::name.eq(name))
            .select(Organization::as_select())
            .first(&mut conn)
            .await?)
    }

    /// How many orgs exist: zero on a fresh database.
    pub async fn organization_count(&self) -> StoreResult<i64> {
        let mut conn = self.operator().await?;
        Ok(organizations::table.count().get_result(&mut conn).await?)
    }

    /// Issues a token with a fresh random 256-bit secret.
    pub async fn issue_token(&self, org: Uuid, role: Role) -> StoreResult<IssuedToken> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
        let secret = format!("{SECRET_PREFIX}{}", hex::encode(bytes));
        let id = Uuid::new_v4();
        let mut conn = self.operator().await?;
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::org_id.eq(org),
                api_tokens::id.eq(id),
                api_tokens::secret_sha256.eq(secret_sha256(&secret)),
                api_tokens::role.eq(role.as_str()),
            ))
            .execute(&mut conn)
            .await?;
        Ok(IssuedToken {
            id,
            org,
            role,
            secret,
        })
    }

    /// The principal behind a secret; `None` when it is unknown or revoked.
    pub async fn authenticate(&self, secret: &str) -> StoreResult<Option<Principal>> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let mut conn = self.operator().await?;
        let found: Option<(Uuid, Uuid, String)> = api_tokens::table
            .filter(api_tokens::secret_sha256.eq(secret_sha256(secret)))
            .filter(api_tokens::revoked.eq(false))
            .select((api_tokens::org_id, api_tokens::id, api_tokens::role))
            .first(&mut conn)
            .await
            .optional()?;
        found
            .map(|(org, token, role)| {
                let role = role.parse().map_err(StoreError::Corrupt)?;
                Ok(Principal { org, token, role })
            })
            .transpose()
    }

    /// Revokes a token by id; later requests with it are unauthenticated. The same transaction
    /// announces it, so every server's cache forgets the token once the revoke commits.
    pub async fn revoke_token(&self, id: Uuid) -> StoreResult<()> {
        let mut conn = self.operator().await?;
        conn.transaction(async |conn| {
            let revoked = diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
                .set(api_tokens::revoked.eq(true))
                .execute(conn)
                .await?;
            if revoked == 0 {
                return Err(StoreError::NotFound);
            }
            revocations::announce(conn, id).await
        })
        .await
    }
}

/// The org the transaction is bound to.
pub async fn current(conn: &mut TenantConn) -> StoreResult<Organization> {
    Ok(organizations::table
        .select(Organization::as_select())
        .first(conn.db())
        .await?)
}

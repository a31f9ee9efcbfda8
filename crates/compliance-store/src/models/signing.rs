//! An org's signing keys: made when first needed (its first package, or its creation by the
//! CLI), one signing at a time, rotated by retiring it, never deleted. The private key is kept
//! sealed under a [`KeySeal`], whose key lives outside the database.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use compliance_attest::{PublicKey, SecretKey};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::signing_keys;
use crate::{StoreError, StoreResult, TenantConn};

/// Bytes of the random nonce that leads every sealed key.
const NONCE_BYTES: usize = 24;

/// Seals and opens private keys: XChaCha20-Poly1305 under the server's key-sealing key, with
/// the org and the key id as associated data (a sealed key moved to another org or row opens
/// nowhere).
pub struct KeySeal(XChaCha20Poly1305);

impl std::fmt::Debug for KeySeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.write_str("KeySeal")
    }
}

impl KeySeal {
    pub fn new(key: &[u8; 32]) -> Self {
        Self(XChaCha20Poly1305::new(key.into()))
    }

    pub(crate) fn seal(&self, org: Uuid, key_id: &str, secret: &[u8]) -> StoreResult<Vec<u8>> {
        let nonce = random::<NONCE_BYTES>()?;
        let aad = [org.as_bytes().as_slice(), key_id.as_bytes()].concat();
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Invalid("the signing key cannot be sealed".to_owned()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub(crate) fn open(&self, org: Uuid, key_id: &str, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        let corrupt = || {
            StoreError::Corrupt(format!(
                "signing key {key_id} does not open under this server's key-sealing key"
            ))
        };
        let (nonce, sealed) = sealed.split_at_checked(NONCE_BYTES).ok_or_else(corrupt)?;
        let nonce = XNonce::try_from(nonce).map_err(|_| corrupt())?;
        let aad = [org.as_bytes().as_slice(), key_id.as_bytes()].concat();
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| corrupt())
    }
}

pub(crate) fn random<const N: usize>() -> StoreResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
    Ok(bytes)
}

/// A published key: what `GET /v1/keys` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key_id: String,
    pub public_key: PublicKey,
    pub created_at: OffsetDateTime,
    /// When it stopped signing; `None` while it signs.
    pub retired_at: Option<OffsetDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = signing_keys, check_for_backend(diesel::pg::Pg))]
struct KeyRow {
    key_id: String,
    public_key: Vec<u8>,
    sealed_private_key: Vec<u8>,
    created_at: OffsetDateTime,
    retired_at: Option<OffsetDateTime>,
}

impl KeyRow {
    fn record(&self) -> StoreResult<KeyRecord> {
        let public_key = PublicKey::from_spki_der(&self.public_key)
            .map_err(|e| StoreError::Corrupt(format!("signing key {}: {e}", self.key_id)))?;
        Ok(KeyRecord {
            key_id: self.key_id.clone(),
            public_key,
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }
}

/// The org's signing key, made (and sealed) if it has none.
pub async fn active(conn: &mut TenantConn, seal: &KeySeal) -> StoreResult<SecretKey> {
    if let Some(row) = active_row(conn).await? {
        let der = seal.open(conn.org(), &row.key_id, &row.sealed_private_key)?;
        return SecretKey::from_pkcs8_der(&der)
            .map_err(|e| StoreError::Corrupt(format!("signing key {}: {e}", row.key_id)));
    }
    create(conn, seal).await
}

async fn active_row(conn: &mut TenantConn) -> StoreResult<Option<KeyRow>> {
    Ok(signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .select(KeyRow::as_select())
        .first(conn.db())
        .await
        .optional()?)
}

/// A new signing key for the org. A racing creation that commits first wins (one key signs at
/// a time): this one then fails with a conflict, and the caller's retry finds that key.
async fn create(conn: &mut TenantConn, seal: &KeySeal) -> StoreResult<SecretKey> {
    let secret = loop {
        // A scalar outside the group is a 2^-128 event: draw again.
        if let Some(key) = SecretKey::from_random(&random::<32>()?) {
            break key;
        }
    };
    let public = secret.public();
    let key_id = public.key_id();
    let der = secret
        .to_pkcs8_der()
        .map_err(|e| StoreError::Invalid(format!("signing key: {e}")))?;
    let org = conn.org();
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::org_id.eq(org),
            signing_keys::key_id.eq(&key_id),
            signing_keys::public_key.eq(public.spki_der()),
            signing_keys::sealed_private_key.eq(seal.seal(org, &key_id, &der)?),
        ))
        .execute(conn.db())
        .await?;
    Ok(secret)
}

/// Retires the signing key (it stays published) and makes the next one.
pub async fn rotate(conn: &mut TenantConn, seal: &KeySeal) -> StoreResult<SecretKey> {
    diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
        .set(signing_keys::retired_at.eq(diesel::dsl::now))
        .execute(conn.db())
        .await?;
    create(conn, seal).await
}

/// Every key the org ever had, the signing one first, then newest first.
pub async fn list(conn: &mut TenantConn) -> StoreResult<Vec<KeyRecord>> {
    let rows: Vec<KeyRow> = signing_keys::table
        .order((
            signing_keys::retired_at.is_not_null(),
            signing_keys::created_at.desc(),
        ))
        .select(KeyRow::as_select())
        .load(conn.db())
        .await?;
    rows.iter().map(KeyRow::record).collect()
}

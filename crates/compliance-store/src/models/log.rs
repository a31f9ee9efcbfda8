//! The org's transparency log (docs/log.md): every event appended as a leaf in the transaction
//! that stores it, under the lock of the org's log head (so leaf indexes are gapless, and a
//! rolled-back transaction leaves none); the tree's stored hashes, from which each root and
//! proof is one indexed read of O(log n) rows; the org's Ed25519 log key, sealed; and the
//! checkpoints signed over it. The tree's arithmetic is `compliance_attest::log`'s.

use compliance_attest::log::{self as tree, Hash, LogLeaf, Read, StoredHashes};
use compliance_attest::{LogKey, SignedCheckpoint};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::events::{self, EventRecord};
use super::signing::{KeySeal, random};
use crate::schema::{log_checkpoints, log_hashes, log_heads, log_keys, log_leaves};
use crate::{StoreError, StoreResult, TenantConn};

/// Events a backfill reads and appends at a time.
const BACKFILL_CHUNK: usize = 5_000;

/// How long a checkpoint is the latest one served before a grown log gets a new one.
pub const CHECKPOINT_INTERVAL: time::Duration = time::Duration::seconds(5);

/// An instant as leaves write it: RFC 3339 in UTC, to the microsecond PostgreSQL keeps.
pub fn instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// The origin of the org's log: its checkpoints' first line, and its key's name.
pub fn origin(org: Uuid) -> String {
    format!("compliance-evidence/{org}")
}

fn size_of(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a log size of {n}")))
}

fn stored(n: u64) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("a log size of {n}")))
}

fn corrupt(error: compliance_attest::AttestError) -> StoreError {
    StoreError::Corrupt(format!("the org's log: {error}"))
}

/// Locks the org's log head (making it on first use) and reads it: (size, backfilled).
async fn lock_head(conn: &mut TenantConn) -> StoreResult<(u64, bool)> {
    let org = conn.org();
    // One statement: the upsert takes the row lock that every appender of the org queues on.
    let (size, backfilled): (i64, bool) = diesel::insert_into(log_heads::table)
        .values(log_heads::org_id.eq(org))
        .on_conflict(log_heads::org_id)
        .do_update()
        .set(log_heads::size.eq(log_heads::size))
        .returning((log_heads::size, log_heads::backfilled))
        .get_result(conn.db())
        .await?;
    Ok((size_of(size)?, backfilled))
}

/// Appends `records` (just stored by the caller, in its transaction) to the org's log.
pub(crate) async fn append(conn: &mut TenantConn, records: &[EventRecord]) -> StoreResult<()> {
    let (size, backfilled) = locked(conn).await?;
    // A backfill appended every event without a leaf, the caller's among them.
    if backfilled {
        return Ok(());
    }
    append_leaves(conn, size, records).await
}

/// Locks the org's log head, backfills it on an org's first append (events that predate the
/// log, in acceptance order, with the caller's among them), and says its size then and whether
/// it backfilled.
async fn locked(conn: &mut TenantConn) -> StoreResult<(u64, bool)> {
    let (size, backfilled) = lock_head(conn).await?;
    if backfilled {
        return Ok((size, false));
    }
    let unlogged = events::unlogged(conn).await?;
    let mut size = size;
    // A chunk's rows at a time: a backfill of millions never holds them all.
    for ids in unlogged.chunks(BACKFILL_CHUNK) {
        let records = events::by_ids(conn, ids).await?;
        append_leaves(conn, size, &records).await?;
        size += records.len() as u64;
    }
    diesel::update(log_heads::table.filter(log_heads::org_id.eq(conn.org())))
        .set(log_heads::backfilled.eq(true))
        .execute(conn.db())
        .await?;
    Ok((size, true))
}

async fn append_leaves(
    conn: &mut TenantConn,
    size: u64,
    records: &[EventRecord],
) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let org = conn.org();
    let leaves = leaf_hashes(org, records)?;
    let count = leaves.len() as u64;
    let before = hashes(conn, Read::Append { size, count }).await?;
    let written = tree::append(size, &leaves, &before).map_err(corrupt)?;
    let first = stored(size)?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.event.id).collect();
    let assets: Vec<Uuid> = records.iter().map(|r| r.event.asset_id).collect();
    let indexes: Vec<i64> = (first..).take(ids.len()).collect();
    diesel::sql_query(
        "INSERT INTO log_leaves (org_id, leaf_index, event_id, asset_id) \
         SELECT $1, i, e, a FROM unnest($2::int8[], $3::uuid[], $4::uuid[]) AS u(i, e, a)",
    )
    .bind::<diesel::sql_types::Uuid, _>(org)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(indexes)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(assets)
    .execute(conn.db())
    .await?;
    let (hash_indexes, hash_values): (Vec<i64>, Vec<Vec<u8>>) = written
        .iter()
        .map(|(index, hash)| Ok((stored(*index)?, hash.0.to_vec())))
        .collect::<StoreResult<Vec<_>>>()?
        .into_iter()
        .unzip();
    diesel::sql_query(
        "INSERT INTO log_hashes (org_id, hash_index, hash) \
         SELECT $1, i, h FROM unnest($2::int8[], $3::bytea[]) AS u(i, h)",
    )
    .bind::<diesel::sql_types::Uuid, _>(org)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(hash_indexes)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Bytea>, _>(hash_values)
    .execute(conn.db())
    .await?;
    diesel::update(log_heads::table.filter(log_heads::org_id.eq(org)))
        .set(log_heads::size.eq(stored(size + count)?))
        .execute(conn.db())
        .await?;
    Ok(())
}

/// Batches smaller than this are hashed on the caller's thread.
const PARALLEL_LEAVES: usize = 1_000;

/// Each record's leaf hash. A large batch is spread over the machine's cores: making each
/// leaf's RFC 8785 form is the log's dearest step.
fn leaf_hashes(org: Uuid, records: &[EventRecord]) -> StoreResult<Vec<Hash>> {
    let hashes = |records: &[EventRecord]| {
        records
            .iter()
            .map(|record| Ok(tree::leaf_hash(&record.leaf(org)?.data().map_err(corrupt)?)))
            .collect::<StoreResult<Vec<Hash>>>()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if records.len() < PARALLEL_LEAVES || threads == 1 {
        return hashes(records);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(records.len().div_ceil(threads))
            .map(|part| scope.spawn(move || hashes(part)))
            .collect();
        let mut all = Vec::with_capacity(records.len());
        for part in parts {
            let part = part
                .join()
                .map_err(|_| StoreError::Corrupt("hashing leaves panicked".to_owned()))?;
            all.extend(part?);
        }
        Ok(all)
    })
}

/// The stored hashes `read` needs, in one query.
async fn hashes(conn: &mut TenantConn, read: Read) -> StoreResult<StoredHashes> {
    let indexes = tree::reads(read).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if indexes.is_empty() {
        return Ok(StoredHashes::default());
    }
    let wanted = indexes
        .iter()
        .map(|i| stored(*i))
        .collect::<StoreResult<Vec<i64>>>()?;
    let rows: Vec<(i64, Vec<u8>)> = log_hashes::table
        .filter(log_hashes::hash_index.eq_any(&wanted))
        .select((log_hashes::hash_index, log_hashes::hash))
        .load(conn.db())
        .await?;
    let mut found = StoredHashes::default();
    for (index, hash) in rows {
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("stored hash {index} is not 32 bytes")))?;
        found.0.insert(size_of(index)?, Hash(hash));
    }
    if found.0.len() != indexes.len() {
        return Err(StoreError::Corrupt(format!(
            "the log misses {} of the {} stored hashes it needs",
            indexes.len() - found.0.len(),
            indexes.len()
        )));
    }
    Ok(found)
}

/// The log's size as last committed (no lock: a reader never waits on appenders).
pub async fn size(conn: &mut TenantConn) -> StoreResult<u64> {
    let size: Option<i64> = log_heads::table
        .select(log_heads::size)
        .first(conn.db())
        .await
        .optional()?;
    size_of(size.unwrap_or(0))
}

/// The root of the tree of `size` leaves.
pub async fn root(conn: &mut TenantConn, size: u64) -> StoreResult<Hash> {
    let stored = hashes(conn, Read::Root { size }).await?;
    tree::root(size, &stored).map_err(corrupt)
}

/// The org's log key, made (and sealed) on first use.
pub async fn key(conn: &mut TenantConn, seal: &KeySeal) -> StoreResult<LogKey> {
    let org = conn.org();
    let name = origin(org);
    if let Some(sealed) = sealed_key(conn).await? {
        return open_key(org, &name, seal, &sealed);
    }
    let seed = random::<32>()?;
    let made = LogKey::from_seed(&name, &seed).map_err(corrupt)?;
    let inserted = diesel::insert_into(log_keys::table)
        .values((
            log_keys::org_id.eq(org),
            log_keys::name.eq(&name),
            log_keys::public_key.eq(made.public_key().to_vec()),
            log_keys::sealed_private_key.eq(seal.seal(org, &name, &seed)?),
        ))
        .on_conflict_do_nothing()
        .execute(conn.db())
        .await?;
    if inserted == 1 {
        return Ok(made);
    }
    // A racing first use committed its key first: that one is the org's.
    let sealed = sealed_key(conn)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the log key did not read back".to_owned()))?;
    open_key(org, &name, seal, &sealed)
}

async fn sealed_key(conn: &mut TenantConn) -> StoreResult<Option<Vec<u8>>> {
    Ok(log_keys::table
        .select(log_keys::sealed_private_key)
        .first(conn.db())
        .await
        .optional()?)
}

fn open_key(org: Uuid, name: &str, seal: &KeySeal, sealed: &[u8]) -> StoreResult<LogKey> {
    let seed: [u8; 32] = seal
        .open(org, name, sealed)?
        .try_into()
        .map_err(|_| StoreError::Corrupt("the log key is not 32 bytes".to_owned()))?;
    LogKey::from_seed(name, &seed).map_err(corrupt)
}

/// A signed checkpoint as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRecord {
    pub checkpoint: SignedCheckpoint,
    /// The C2SP signed note, as served.
    pub note: String,
    pub signed_at: OffsetDateTime,
}

/// The checkpoint of the tree of `size`, signed now and kept if it has none yet: the checkpoints
/// a package anchors and the latest ones. Deterministic (Ed25519 signatures are), so a racing
/// signer's note is the same note.
pub async fn checkpoint_at(
    conn: &mut TenantConn,
    seal: &KeySeal,
    size: u64,
) -> StoreResult<CheckpointRecord> {
    if let Some(kept) = kept(conn, size).await? {
        return Ok(kept);
    }
    let signed = signed(conn, seal, size).await?;
    diesel::insert_into(log_checkpoints::table)
        .values((
            log_checkpoints::org_id.eq(conn.org()),
            log_checkpoints::tree_size.eq(stored(size)?),
            log_checkpoints::root_hash.eq(signed.checkpoint.root.0.to_vec()),
            log_checkpoints::note.eq(&signed.note),
        ))
        .on_conflict_do_nothing()
        .execute(conn.db())
        .await?;
    kept(conn, size)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("checkpoint {size} did not read back")))
}

/// The checkpoint of the tree of `size`: the kept one, or one signed now and not kept (a proof
/// against any past tree is answered without writing under a read).
pub async fn checkpoint_of(
    conn: &mut TenantConn,
    seal: &KeySeal,
    size: u64,
) -> StoreResult<CheckpointRecord> {
    match kept(conn, size).await? {
        Some(kept) => Ok(kept),
        None => signed(conn, seal, size).await,
    }
}

async fn signed(conn: &mut TenantConn, seal: &KeySeal, size: u64) -> StoreResult<CheckpointRecord> {
    let root = root(conn, size).await?;
    let key = key(conn, seal).await?;
    let note = key.sign_checkpoint(size, root).map_err(corrupt)?;
    Ok(CheckpointRecord {
        checkpoint: SignedCheckpoint {
            origin: origin(conn.org()),
            size,
            root,
        },
        note,
        signed_at: OffsetDateTime::now_utc(),
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = log_checkpoints, check_for_backend(diesel::pg::Pg))]
struct CheckpointRow {
    tree_size: i64,
    root_hash: Vec<u8>,
    note: String,
    signed_at: OffsetDateTime,
}

impl CheckpointRow {
    fn record(self, org: Uuid) -> StoreResult<CheckpointRecord> {
        let size = self.tree_size;
        let root: [u8; 32] = self.root_hash.try_into().map_err(|_| {
            StoreError::Corrupt(format!("checkpoint {size}'s root is not 32 bytes"))
        })?;
        Ok(CheckpointRecord {
            checkpoint: SignedCheckpoint {
                origin: origin(org),
                size: size_of(size)?,
                root: Hash(root),
            },
            note: self.note,
            signed_at: self.signed_at,
        })
    }
}

async fn kept(conn: &mut TenantConn, size: u64) -> StoreResult<Option<CheckpointRecord>> {
    let row: Option<CheckpointRow> = log_checkpoints::table
        .filter(log_checkpoints::tree_size.eq(stored(size)?))
        .select(CheckpointRow::as_select())
        .first(conn.db())
        .await
        .optional()?;
    row.map(|row| row.record(conn.org())).transpose()
}

/// The latest checkpoint: the one kept, unless the log grew since and it is older than
/// [`CHECKPOINT_INTERVAL`]; then a new one over the log as committed.
pub async fn latest(conn: &mut TenantConn, seal: &KeySeal) -> StoreResult<CheckpointRecord> {
    let row: Option<CheckpointRow> = log_checkpoints::table
        .order(log_checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn.db())
        .await
        .optional()?;
    let size = size(conn).await?;
    if let Some(row) = row {
        let fresh = OffsetDateTime::now_utc() - row.signed_at < CHECKPOINT_INTERVAL;
        if size_of(row.tree_size)? == size || fresh {
            return row.record(conn.org());
        }
    }
    checkpoint_at(conn, seal, size).await
}

/// An event's place in the log, and the proof that it is there.
#[derive(Debug, Clone, PartialEq)]
pub struct Inclusion {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub leaf: LogLeaf,
    /// The leaf's data: `leaf`'s RFC 8785 form, as hashed.
    pub leaf_data: String,
    pub proof: Vec<Hash>,
    pub root: Hash,
}

/// Event `id`'s leaf index; `NotFound` when the org has no such leaf.
pub async fn leaf_index(conn: &mut TenantConn, id: Uuid) -> StoreResult<u64> {
    let index: i64 = log_leaves::table
        .filter(log_leaves::event_id.eq(id))
        .select(log_leaves::leaf_index)
        .first(conn.db())
        .await?;
    size_of(index)
}

/// The inclusion of event `id` in the tree of `size` (the log as committed when `None`).
/// `NotFound` for an event the org does not have, or has not logged.
pub async fn inclusion(
    conn: &mut TenantConn,
    id: Uuid,
    size: Option<u64>,
) -> StoreResult<Inclusion> {
    let leaf_index = leaf_index(conn, id).await?;
    let current = self::size(conn).await?;
    let tree_size = size.unwrap_or(current);
    if tree_size > current || leaf_index >= tree_size {
        return Err(StoreError::Invalid(format!(
            "tree_size: the entry is leaf {leaf_index}, the log has {current} leaves; \
             it is in trees of {} to {current}",
            leaf_index + 1
        )));
    }
    // The leaf's data is made again from the event as stored now: an altered row fails here.
    let record = match events::by_id(conn, id).await {
        // A leaf whose event is gone: the trail was changed behind the API's back.
        Err(StoreError::NotFound) => {
            return Err(StoreError::Corrupt(format!(
                "leaf {leaf_index} names event {id}, which is no longer stored"
            )));
        }
        other => other?,
    };
    let leaf = record.leaf(conn.org())?;
    let data = leaf.data().map_err(corrupt)?;
    let stored = hashes(
        conn,
        Read::Inclusion {
            index: leaf_index,
            size: tree_size,
        },
    )
    .await?;
    let proof = tree::inclusion_proof(leaf_index, tree_size, &stored).map_err(corrupt)?;
    Ok(Inclusion {
        leaf_index,
        tree_size,
        leaf_data: String::from_utf8(data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        leaf,
        proof,
        root: root(conn, tree_size).await?,
    })
}

/// The proof that the tree of `from` is a prefix of the tree of `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Consistency {
    pub from: u64,
    pub to: u64,
    pub from_root: Hash,
    pub to_root: Hash,
    pub proof: Vec<Hash>,
}

pub async fn consistency(conn: &mut TenantConn, from: u64, to: u64) -> StoreResult<Consistency> {
    let current = size(conn).await?;
    if from > to || to > current {
        return Err(StoreError::Invalid(format!(
            "from and to: 0 ≤ from ≤ to ≤ {current}, the log's size"
        )));
    }
    let stored = hashes(conn, Read::Consistency { from, to }).await?;
    Ok(Consistency {
        from,
        to,
        from_root: root(conn, from).await?,
        to_root: root(conn, to).await?,
        proof: tree::consistency_proof(from, to, &stored).map_err(corrupt)?,
    })
}

/// Locks the org's log head for the rest of the caller's transaction and says its size: until
/// the caller ends, no event of the org commits, so what it reads is exactly the log's first
/// `size` leaves. A package's generation holds it while it counts. `asset` is the asset the
/// caller will append to afterwards: its row is locked first, as every appender locks its
/// event's asset before the head, so the two never wait on each other in a circle.
pub async fn hold(conn: &mut TenantConn, asset: Uuid) -> StoreResult<u64> {
    use crate::schema::assets;
    assets::table
        .filter(assets::id.eq(asset))
        .select(assets::id)
        .for_update()
        .first::<Uuid>(conn.db())
        .await?;
    Ok(locked(conn).await?.0)
}

/// Checks that the agent's trail is whole: it has exactly as many events as the log has leaves
/// of it. `counted` is how many of its events before `at` the caller counted; those at or after
/// `at` are counted here. An event deleted behind the API's back (by someone able to disable the
/// append-only triggers) leaves a leaf without an event; one inserted past the log, an event
/// without a leaf.
pub async fn check_whole(
    conn: &mut TenantConn,
    agent: Uuid,
    counted: i64,
    at: OffsetDateTime,
) -> StoreResult<()> {
    use crate::schema::events;
    let later: i64 = events::table
        .filter(events::asset_id.eq(agent))
        .filter(events::occurred_at.ge(at))
        .count()
        .get_result(conn.db())
        .await?;
    let leaves: i64 = log_leaves::table
        .filter(log_leaves::asset_id.eq(agent))
        .count()
        .get_result(conn.db())
        .await?;
    let held = counted + later;
    if held != leaves {
        return Err(StoreError::Corrupt(format!(
            "the agent's trail holds {held} events but the log {leaves} leaves of it: an event \
             was removed or added outside the log"
        )));
    }
    Ok(())
}

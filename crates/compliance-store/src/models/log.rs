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

use super::events::{self, NewEvent};
use super::signing::{KeySeal, random};
use crate::schema::{log_asset_leaves, log_checkpoints, log_heads, log_keys};
use crate::{StoreError, StoreResult, TenantConn};

/// Events a backfill reads and appends at a time.
const BACKFILL_CHUNK: u64 = 5_000;

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

pub(crate) fn stored(n: u64) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("a log size of {n}")))
}

fn corrupt(error: compliance_attest::AttestError) -> StoreError {
    StoreError::Corrupt(format!("the org's log: {error}"))
}

/// The org's log head, locked by the caller's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Leaves in the log: the next event appended is leaf `size`.
    pub size: u64,
    /// The transaction's `now()`: every event it inserts is accepted then.
    pub accepted_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    size: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    hashed: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    accepted_at: OffsetDateTime,
}

/// Locks the org's log head for the rest of the caller's transaction (making it on first use),
/// stores the hashes of any leaves that have none yet (events that predate the log, given their
/// indexes by a migration), and reads it. Every append takes it before it inserts, and only an
/// agent's advisory lock or agent-name locks before it (docs/log.md, the lock order): until the
/// caller ends, no other event of the org is inserted, so the caller's leaf indexes follow on
/// gaplessly, and what a generation counts is exactly the log's first `size` leaves.
pub async fn lock(conn: &mut TenantConn) -> StoreResult<Head> {
    // One statement: the upsert takes the row lock that every appender of the org queues on.
    let head: HeadRow = diesel::sql_query(
        "INSERT INTO log_heads (org_id) VALUES ($1) \
         ON CONFLICT (org_id) DO UPDATE SET size = log_heads.size \
         RETURNING size, hashed, now() AS accepted_at",
    )
    .bind::<diesel::sql_types::Uuid, _>(conn.org())
    .get_result(conn.db())
    .await?;
    let (size, hashed) = (size_of(head.size)?, size_of(head.hashed)?);
    if hashed < size {
        hash_pending(conn, hashed, size).await?;
    }
    Ok(Head {
        size,
        accepted_at: head.accepted_at,
    })
}

/// Stores the hashes of leaves `hashed..size`, a chunk of events at a time: a backfill of
/// millions never holds them all.
async fn hash_pending(conn: &mut TenantConn, hashed: u64, size: u64) -> StoreResult<()> {
    let org = conn.org();
    let mut from = hashed;
    while from < size {
        let to = size.min(from + BACKFILL_CHUNK);
        let records = events::by_leaves(conn, stored(from)?, stored(to)?).await?;
        if records.len() as u64 != to - from {
            return Err(StoreError::Corrupt(format!(
                "leaves {from} to {to} have {} events: an event was removed outside the log",
                records.len()
            )));
        }
        let accepted: Vec<Accepted> = records.iter().map(|r| (&r.event, r.accepted_at)).collect();
        let hashes = leaf_hashes(org, &accepted)?;
        store_hashes(conn, from, hashes).await?;
        from = to;
    }
    diesel::update(log_heads::table.filter(log_heads::org_id.eq(org)))
        .set(log_heads::hashed.eq(stored(size)?))
        .execute(conn.db())
        .await?;
    Ok(())
}

/// An event as its leaf records it: the event and the instant the server accepted it.
type Accepted<'a> = (&'a NewEvent, OffsetDateTime);

/// Appends `events`, just inserted by the caller as leaves `head.size..` under the lock of
/// [`lock`], whose leaf hashes are `leaves` (by [`leaf_hash`], in `events`' order).
pub(crate) async fn append(
    conn: &mut TenantConn,
    head: Head,
    events: &[NewEvent],
    leaves: Vec<Hash>,
) -> StoreResult<()> {
    if leaves.len() != events.len() {
        return Err(StoreError::Corrupt(format!(
            "{} leaf hashes for {} events",
            leaves.len(),
            events.len()
        )));
    }
    if events.is_empty() {
        return Ok(());
    }
    let org = conn.org();
    let grown = head.size + leaves.len() as u64;
    store_hashes(conn, head.size, leaves).await?;
    diesel::update(log_heads::table.filter(log_heads::org_id.eq(org)))
        .set((
            log_heads::size.eq(stored(grown)?),
            log_heads::hashed.eq(stored(grown)?),
        ))
        .execute(conn.db())
        .await?;
    count_leaves(conn, events).await
}

/// Adds each asset's new leaves to its count.
async fn count_leaves(conn: &mut TenantConn, events: &[NewEvent]) -> StoreResult<()> {
    let mut per_asset: std::collections::BTreeMap<Uuid, i64> = std::collections::BTreeMap::new();
    for event in events {
        *per_asset.entry(event.asset_id).or_default() += 1;
    }
    let (assets, counts): (Vec<Uuid>, Vec<i64>) = per_asset.into_iter().unzip();
    diesel::sql_query(
        "INSERT INTO log_asset_leaves (org_id, asset_id, leaves) \
         SELECT $1, a, n FROM unnest($2::uuid[], $3::int8[]) AS u(a, n) \
         ON CONFLICT (org_id, asset_id) DO UPDATE SET leaves = log_asset_leaves.leaves + EXCLUDED.leaves",
    )
    .bind::<diesel::sql_types::Uuid, _>(conn.org())
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(assets)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(counts)
    .execute(conn.db())
    .await?;
    Ok(())
}

/// Adds leaves `size..` (their hashes `leaves`) to the tree: the stored hashes they make, as
/// one run.
async fn store_hashes(conn: &mut TenantConn, size: u64, leaves: Vec<Hash>) -> StoreResult<()> {
    let count = leaves.len() as u64;
    let before = hashes(conn, Read::Append { size, count }).await?;
    let written = tree::append(size, &leaves, &before).map_err(corrupt)?;
    write_run(conn, &written).await
}

/// Stores the hashes one append adds as one run: consecutive stored hash indexes, one row.
async fn write_run(conn: &mut TenantConn, written: &[(u64, Hash)]) -> StoreResult<()> {
    use crate::schema::log_hash_runs;
    let Some(&(first, _)) = written.first() else {
        return Ok(());
    };
    let mut run = Vec::with_capacity(written.len() * 32);
    for (expected, (index, hash)) in (first..).zip(written) {
        // An append adds the hashes right after those stored: Go tlog's layout.
        if *index != expected {
            return Err(StoreError::Corrupt(format!(
                "an append's stored hashes skip from {expected} to {index}"
            )));
        }
        run.extend_from_slice(&hash.0);
    }
    diesel::insert_into(log_hash_runs::table)
        .values((
            log_hash_runs::org_id.eq(conn.org()),
            log_hash_runs::first_index.eq(stored(first)?),
            log_hash_runs::hashes.eq(run),
        ))
        .execute(conn.db())
        .await?;
    Ok(())
}

/// The leaf hash of `event`, accepted at `accepted_at`.
pub(crate) fn leaf_hash(
    org: Uuid,
    event: &NewEvent,
    accepted_at: OffsetDateTime,
) -> StoreResult<Hash> {
    let leaf = events::leaf(org, event, accepted_at)?;
    Ok(tree::leaf_hash(&leaf.data().map_err(corrupt)?))
}

/// Batches smaller than this are hashed on the caller's thread.
const PARALLEL_LEAVES: usize = 1_000;

/// Each record's leaf hash. A large batch is spread over the machine's cores: making each
/// leaf's RFC 8785 form is the log's dearest step.
fn leaf_hashes(org: Uuid, records: &[Accepted<'_>]) -> StoreResult<Vec<Hash>> {
    let hashes = |records: &[Accepted<'_>]| {
        records
            .iter()
            .map(|(event, at)| leaf_hash(org, event, *at))
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

#[derive(QueryableByName)]
struct Hashed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    hash_index: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    hash: Vec<u8>,
}

/// The stored hashes `read` needs, in one query.
async fn hashes(conn: &mut TenantConn, read: Read) -> StoreResult<StoredHashes> {
    hashes_of(conn, &[read]).await
}

/// The stored hashes every one of `reads` needs (a proof and the roots it is checked against),
/// each once, in one query.
async fn hashes_of(conn: &mut TenantConn, reads: &[Read]) -> StoreResult<StoredHashes> {
    let mut indexes = std::collections::BTreeSet::new();
    for read in reads {
        indexes.extend(tree::reads(*read).map_err(|e| StoreError::Invalid(e.to_string()))?);
    }
    if indexes.is_empty() {
        return Ok(StoredHashes::default());
    }
    let wanted = indexes
        .iter()
        .map(|i| stored(*i))
        .collect::<StoreResult<Vec<i64>>>()?;
    // Each hash is a slice of the run that starts at or before it: the latest such run.
    let rows: Vec<Hashed> = diesel::sql_query(
        "SELECT w.i AS hash_index, substring(r.hashes FROM ((w.i - r.first_index) * 32 + 1)::int FOR 32) AS hash \
         FROM unnest($1::int8[]) AS w(i) CROSS JOIN LATERAL ( \
           SELECT first_index, hashes FROM log_hash_runs \
           WHERE org_id = $2 AND first_index <= w.i ORDER BY first_index DESC LIMIT 1) AS r",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&wanted)
    .bind::<diesel::sql_types::Uuid, _>(conn.org())
    .load(conn.db())
    .await?;
    let mut found = StoredHashes::default();
    for Hashed { hash_index, hash } in rows {
        // A slice past the run's end is shorter: the hash is missing, as below.
        let Ok(hash) = <[u8; 32]>::try_from(hash) else {
            continue;
        };
        found.0.insert(size_of(hash_index)?, Hash(hash));
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

/// The log's size as last committed (no lock: a reader never waits on appenders): its leaves
/// whose hashes are stored. Every append stores them with its leaves; only events an upgrade
/// indexed wait for theirs, until the org's next append or generation.
pub async fn size(conn: &mut TenantConn) -> StoreResult<u64> {
    let size: Option<i64> = log_heads::table
        .select(log_heads::hashed)
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

/// Event `id`'s leaf index; `NotFound` when the org has no such event, or it is no leaf (only
/// an insert behind the API's back makes one).
pub async fn leaf_index(conn: &mut TenantConn, id: Uuid) -> StoreResult<u64> {
    use crate::schema::events;
    let index: Option<i64> = events::table
        .filter(events::id.eq(id))
        .select(events::leaf_index)
        .first(conn.db())
        .await?;
    size_of(index.ok_or(StoreError::NotFound)?)
}

/// The inclusion of event `id` in the tree of `size` (the log as committed when `None`).
/// `NotFound` for an event the org does not have, or has not logged.
pub async fn inclusion(
    conn: &mut TenantConn,
    id: Uuid,
    size: Option<u64>,
) -> StoreResult<Inclusion> {
    // The leaf's data is made again from the event as stored now: an altered row fails here.
    let record = events::by_id(conn, id).await?;
    let leaf_index = size_of(record.leaf_index.ok_or(StoreError::NotFound)?)?;
    let current = self::size(conn).await?;
    let tree_size = size.unwrap_or(current);
    if tree_size > current || leaf_index >= tree_size {
        return Err(StoreError::Invalid(format!(
            "tree_size: the entry is leaf {leaf_index}, the log has {current} leaves; \
             it is in trees of {} to {current}",
            leaf_index + 1
        )));
    }
    let leaf = record.leaf(conn.org())?;
    let data = leaf.data().map_err(corrupt)?;
    let read = Read::Inclusion {
        index: leaf_index,
        size: tree_size,
    };
    let stored = hashes_of(conn, &[read, Read::Root { size: tree_size }]).await?;
    let proof = tree::inclusion_proof(leaf_index, tree_size, &stored).map_err(corrupt)?;
    Ok(Inclusion {
        leaf_index,
        tree_size,
        leaf_data: String::from_utf8(data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        leaf,
        proof,
        root: tree::root(tree_size, &stored).map_err(corrupt)?,
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
    let reads = [
        Read::Consistency { from, to },
        Read::Root { size: from },
        Read::Root { size: to },
    ];
    let stored = hashes_of(conn, &reads).await?;
    Ok(Consistency {
        from,
        to,
        from_root: tree::root(from, &stored).map_err(corrupt)?,
        to_root: tree::root(to, &stored).map_err(corrupt)?,
        proof: tree::consistency_proof(from, to, &stored).map_err(corrupt)?,
    })
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
    let leaves: i64 = log_asset_leaves::table
        .filter(log_asset_leaves::asset_id.eq(agent))
        .select(log_asset_leaves::leaves)
        .first(conn.db())
        .await
        .optional()?
        .unwrap_or(0);
    let held = counted + later;
    if held != leaves {
        return Err(StoreError::Corrupt(format!(
            "the agent's trail holds {held} events but the log {leaves} leaves of it: an event \
             was removed or added outside the log"
        )));
    }
    Ok(())
}

//! An org's transparency log of its audit trail (docs/log.md): every event a leaf, hashed as
//! RFC 9162 §2.1 (RFC 6962) has it — leaf `SHA-256(0x00 ‖ data)`, node `SHA-256(0x01 ‖ l ‖ r)`
//! — its every state a C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>) in a C2SP
//! signed note (<https://c2sp.org/signed-note>) under the org's Ed25519 log key. The tree, its
//! proofs and the note format are `tlog_tiles` and `signed_note` (Cloudflare's ports of Go's
//! `golang.org/x/mod/sumdb/{tlog,note}`); this module adds what our log stores and signs.
//!
//! The store keeps the tree's *stored hashes* (Go's tlog layout: each leaf hash and every
//! complete subtree's hash, at `stored_hash_index(level, n)`, about two per leaf). Every proof
//! is computed from O(log n) of them: [`reads`] says which ones, the caller fetches them in one
//! query, and the same computation runs again over what was fetched.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use tlog_tiles::tlog::{self, HashReader};
pub use tlog_tiles::tlog::{EMPTY_HASH, Hash};

use crate::AttestError;

/// One event as its leaf records it: every field the event was stored with, the time the
/// server accepted it and the time the client declared (RFC 3339, microseconds, UTC). The
/// leaf's data is this object's RFC 8785 form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLeaf {
    pub org_id: String,
    pub asset_id: String,
    pub id: String,
    pub display_type: String,
    pub correlation_value: Option<String>,
    pub declared_at: Option<String>,
    pub accepted_at: String,
    pub operation: String,
    pub behaviour: String,
    pub event_attributes: serde_json::Value,
    pub asset_attributes: serde_json::Value,
    pub principal_declared: serde_json::Value,
    pub connector: Option<String>,
    pub target_resource: Option<String>,
    pub policy_verdict: Option<String>,
    pub status: Option<String>,
    pub duration_ms: Option<i64>,
    pub metadata: serde_json::Value,
}

impl LogLeaf {
    /// The leaf's data: its RFC 8785 form.
    pub fn data(&self) -> Result<Vec<u8>, AttestError> {
        crate::canonical(self)
    }
}

/// RFC 9162's leaf hash of `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog::record_hash(data)
}

/// A hash as checkpoints and proofs write it: standard base64.
pub fn encode(hash: &Hash) -> String {
    STANDARD.encode(hash.0)
}

/// A hash from its base64.
pub fn decode(text: &str) -> Result<Hash, AttestError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| AttestError::Log(format!("hash {text:?}: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| AttestError::Log(format!("hash {text:?} is not 32 bytes")))?;
    Ok(Hash(bytes))
}

/// Stored hashes by index, as a [`HashReader`]: what the caller fetched.
#[derive(Debug, Default)]
pub struct StoredHashes(pub HashMap<u64, Hash>);

impl HashReader for StoredHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(tlog::Error::IndexesNotInTree))
            .collect()
    }
}

/// A reader that remembers what was asked and answers zeros: which hashes a computation reads
/// depends on the tree's sizes only, never on the hashes themselves.
#[derive(Debug, Default)]
struct Recorder(RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash([0; 32]); indexes.len()])
    }
}

/// A computation over stored hashes.
#[derive(Debug, Clone, Copy)]
pub enum Read {
    /// The root of the tree of `size` leaves.
    Root { size: u64 },
    /// The inclusion proof of leaf `index` in the tree of `size`.
    Inclusion { index: u64, size: u64 },
    /// The consistency proof from the tree of `from` leaves to the tree of `to`.
    Consistency { from: u64, to: u64 },
    /// The hashes to store when `count` leaves are appended to a tree of `size`.
    Append { size: u64, count: u64 },
}

/// The stored hashes `read` needs from the store, sorted and each once.
pub fn reads(read: Read) -> Result<Vec<u64>, AttestError> {
    let recorder = Recorder::default();
    match read {
        Read::Root { size } => tlog::tree_hash(size, &recorder).map(|_| ()),
        Read::Inclusion { index, size } => {
            check_inclusion_sizes(index, size)?;
            tlog::prove_record(size, index, &recorder).map(|_| ())
        }
        Read::Consistency { from, to } => {
            check_consistency_sizes(from, to)?;
            // From the empty tree the proof is empty, and reads nothing.
            if from == 0 {
                return Ok(Vec::new());
            }
            tlog::prove_tree(to, from, &recorder).map(|_| ())
        }
        Read::Append { size, count } => {
            // Each leaf may read what an earlier leaf of the same batch stores: only the
            // hashes from before the batch come from the store.
            let first = tlog::stored_hash_index(0, size);
            for n in size..size + count {
                tlog::stored_hashes_for_record_hash(n, Hash([0; 32]), &recorder)
                    .map_err(log_error)?;
            }
            let mut indexes = recorder.0.take();
            indexes.retain(|&i| i < first);
            indexes.sort_unstable();
            indexes.dedup();
            return Ok(indexes);
        }
    }
    .map_err(|e| AttestError::Log(e.to_string()))?;
    let mut indexes = recorder.0.take();
    indexes.sort_unstable();
    indexes.dedup();
    Ok(indexes)
}

fn check_inclusion_sizes(index: u64, size: u64) -> Result<(), AttestError> {
    if index >= size {
        return Err(AttestError::Log(format!(
            "leaf {index} is not in a tree of {size}"
        )));
    }
    Ok(())
}

fn check_consistency_sizes(from: u64, to: u64) -> Result<(), AttestError> {
    if from > to {
        return Err(AttestError::Log(format!(
            "a tree of {from} cannot be a prefix of one of {to}"
        )));
    }
    Ok(())
}

fn log_error(error: tlog::Error) -> AttestError {
    AttestError::Log(error.to_string())
}

/// The root of the tree of `size` leaves, from the hashes [`reads`] named.
pub fn root(size: u64, stored: &StoredHashes) -> Result<Hash, AttestError> {
    tlog::tree_hash(size, stored).map_err(log_error)
}

/// Leaf `index`'s inclusion proof in the tree of `size` (RFC 9162 §2.1.3.1's audit path).
pub fn inclusion_proof(
    index: u64,
    size: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, AttestError> {
    check_inclusion_sizes(index, size)?;
    tlog::prove_record(size, index, stored).map_err(log_error)
}

/// The consistency proof from the tree of `from` to the tree of `to` (RFC 9162 §2.1.4.1).
pub fn consistency_proof(
    from: u64,
    to: u64,
    stored: &StoredHashes,
) -> Result<Vec<Hash>, AttestError> {
    check_consistency_sizes(from, to)?;
    if from == 0 {
        return Ok(Vec::new());
    }
    tlog::prove_tree(to, from, stored).map_err(log_error)
}

/// The hashes to store, by index, when `leaves` are appended to the tree of `size`.
pub fn append(
    size: u64,
    leaves: &[Hash],
    stored: &StoredHashes,
) -> Result<Vec<(u64, Hash)>, AttestError> {
    let mut known = StoredHashes(stored.0.clone());
    let mut written = Vec::with_capacity(leaves.len() * 2);
    for (n, leaf) in (size..).zip(leaves) {
        let hashes = tlog::stored_hashes_for_record_hash(n, *leaf, &known).map_err(log_error)?;
        let first = tlog::stored_hash_index(0, n);
        for (index, hash) in (first..).zip(hashes) {
            known.0.insert(index, hash);
            written.push((index, hash));
        }
    }
    Ok(written)
}

/// Checks that `proof` shows the leaf `hash` at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(
    proof: &[Hash],
    index: u64,
    size: u64,
    hash: Hash,
    root: Hash,
) -> Result<(), AttestError> {
    check_inclusion_sizes(index, size)?;
    tlog::check_record(&proof.to_vec(), size, root, index, hash)
        .map_err(|_| AttestError::Log(format!("leaf {index} is not in the tree of {size}")))
}

/// Checks that `proof` shows the tree of `from` with `from_root` to be a prefix of the tree of
/// `to` with `to_root`: nothing removed, nothing inserted before `from`.
pub fn verify_consistency(
    proof: &[Hash],
    from: u64,
    from_root: Hash,
    to: u64,
    to_root: Hash,
) -> Result<(), AttestError> {
    check_consistency_sizes(from, to)?;
    if from == 0 {
        // The empty tree is a prefix of every tree, with an empty proof.
        let empty = from_root == EMPTY_HASH && (to > 0 || to_root == EMPTY_HASH);
        return if proof.is_empty() && empty {
            Ok(())
        } else {
            Err(AttestError::Log(
                "a bad proof from the empty tree".to_owned(),
            ))
        };
    }
    tlog::check_tree(&proof.to_vec(), to, to_root, from, from_root).map_err(|_| {
        AttestError::Log(format!(
            "the tree of {from} is not a prefix of the tree of {to}"
        ))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use super::*;

    /// RFC 6962's test vectors as Certificate Transparency's implementations publish them:
    /// transparency-dev/merkle, `testonly/constants.go` (leaf inputs, every root) and
    /// `proof/verify_test.go` (inclusion and consistency proofs; leaf numbers there are 1-based).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// (leaf index, tree size, proof)
    const INCLUSION: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    /// (from, to, proof)
    const CONSISTENCY: [(u64, u64, &[&str]); 4] = [
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn hash(hex_text: &str) -> Hash {
        Hash(hex::decode(hex_text).unwrap().try_into().unwrap())
    }

    fn hashes(hex_texts: &[&str]) -> Vec<Hash> {
        hex_texts.iter().map(|h| hash(h)).collect()
    }

    /// The vectors' tree, appended one batch at a time as the store appends, keeping only
    /// what each computation reads.
    fn tree(batches: &[usize]) -> StoredHashes {
        let leaves: Vec<Hash> = LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect();
        let mut stored = StoredHashes::default();
        let mut size = 0;
        for &count in batches {
            let needed = reads(Read::Append {
                size,
                count: count as u64,
            })
            .unwrap();
            let fetched = StoredHashes(needed.iter().map(|i| (*i, stored.0[i])).collect());
            let written = append(
                size,
                &leaves[size as usize..size as usize + count],
                &fetched,
            );
            stored.0.extend(written.unwrap());
            size += count as u64;
        }
        stored
    }

    /// Only what [`reads`] names, as the store would fetch it.
    fn fetched(read: Read, stored: &StoredHashes) -> StoredHashes {
        StoredHashes(
            reads(read)
                .unwrap()
                .iter()
                .map(|i| (*i, stored.0[i]))
                .collect(),
        )
    }

    #[test]
    fn the_roots_are_rfc_6962_s_whatever_the_batches() {
        for batches in [&[8][..], &[1, 1, 1, 1, 1, 1, 1, 1], &[3, 5], &[1, 6, 1]] {
            let stored = tree(batches);
            for (size, expected) in ROOTS.iter().enumerate() {
                let size = size as u64;
                let at = fetched(Read::Root { size }, &stored);
                assert_eq!(
                    root(size, &at).unwrap(),
                    hash(expected),
                    "{batches:?} {size}"
                );
            }
        }
    }

    #[test]
    fn inclusion_proofs_are_the_published_ones_and_verify() {
        let stored = tree(&[2, 6]);
        for (index, size, expected) in INCLUSION {
            let read = Read::Inclusion { index, size };
            let proof = inclusion_proof(index, size, &fetched(read, &stored)).unwrap();
            assert_eq!(proof, hashes(expected), "{index} in {size}");
            let leaf = leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap());
            let at = hash(ROOTS[size as usize]);
            verify_inclusion(&proof, index, size, leaf, at).unwrap();
            // Another leaf, index, tree height, root or a proof one hash short: each refused
            // (the probes transparency-dev/merkle's generator makes of each vector).
            let other = leaf_hash(b"not the leaf");
            assert!(verify_inclusion(&proof, index, size, other, at).is_err());
            assert!(verify_inclusion(&proof, index ^ 1, size, leaf, at).is_err());
            assert!(verify_inclusion(&proof, index, size * 2, leaf, at).is_err());
            assert!(verify_inclusion(&proof, index, size / 2, leaf, at).is_err());
            assert!(verify_inclusion(&proof, index, size, leaf, EMPTY_HASH).is_err());
            assert!(verify_inclusion(&proof[1..], index, size, leaf, at).is_err());
        }
        assert!(reads(Read::Inclusion { index: 8, size: 8 }).is_err());
    }

    #[test]
    fn consistency_proofs_are_the_published_ones_and_verify() {
        let stored = tree(&[5, 3]);
        for (from, to, expected) in CONSISTENCY {
            let read = Read::Consistency { from, to };
            let proof = consistency_proof(from, to, &fetched(read, &stored)).unwrap();
            assert_eq!(proof, hashes(expected), "{from} to {to}");
            let (old, new) = (hash(ROOTS[from as usize]), hash(ROOTS[to as usize]));
            verify_consistency(&proof, from, old, to, new).unwrap();
            // A different old tree (an entry removed or changed), or the roots swapped.
            let other = hash(ROOTS[from as usize - 1]);
            assert!(verify_consistency(&proof, from, other, to, new).is_err());
            assert!(verify_consistency(&proof, from, new, to, old).is_err());
            assert!(verify_consistency(&proof[1..], from, old, to, new).is_err());
        }
        let empty = hash(ROOTS[0]);
        let from_empty = consistency_proof(
            0,
            8,
            &fetched(Read::Consistency { from: 0, to: 8 }, &stored),
        );
        assert_eq!(from_empty.unwrap(), Vec::<Hash>::new());
        verify_consistency(&[], 0, empty, 8, hash(ROOTS[8])).unwrap();
        verify_consistency(&[], 0, empty, 0, empty).unwrap();
        assert!(verify_consistency(&[], 0, empty, 0, hash(ROOTS[1])).is_err());
        assert!(reads(Read::Consistency { from: 5, to: 4 }).is_err());
    }

    #[test]
    fn a_leaf_is_the_rfc_8785_form_of_its_event() {
        let leaf = LogLeaf {
            org_id: "o".into(),
            asset_id: "a".into(),
            id: "e".into(),
            display_type: "connector.called".into(),
            correlation_value: None,
            declared_at: Some("2026-01-01T00:00:00.000000Z".into()),
            accepted_at: "2026-01-01T00:00:01.000000Z".into(),
            operation: "Record".into(),
            behaviour: "RecordEvidence".into(),
            event_attributes: serde_json::json!({"b": 1, "a": 2.50}),
            asset_attributes: serde_json::json!({}),
            principal_declared: serde_json::json!({}),
            connector: Some("jira".into()),
            target_resource: None,
            policy_verdict: Some("PERMIT".into()),
            status: Some("success".into()),
            duration_ms: Some(12),
            metadata: serde_json::json!({}),
        };
        let data = String::from_utf8(leaf.data().unwrap()).unwrap();
        assert!(
            data.starts_with(r#"{"accepted_at":"2026-01-01T00:00:01.000000Z","asset_attributes":{},"asset_id":"a","behaviour""#),
            "{data}"
        );
        assert!(
            data.contains(r#""event_attributes":{"a":2.5,"b":1}"#),
            "{data}"
        );
        let back: LogLeaf = serde_json::from_slice(data.as_bytes()).unwrap();
        assert_eq!(back, leaf);
    }
}

//! Signed checkpoints: a log's size and root as a C2SP tlog-checkpoint
//! (<https://c2sp.org/tlog-checkpoint>: origin line, tree size, base64 root hash), in a C2SP
//! signed note (<https://c2sp.org/signed-note>) signed with the org's Ed25519 log key. The key
//! is named by the checkpoint's origin, and published as a note verifier key
//! (`<name>+<key id>+<base64 of 0x01 ‖ public key>`), the form Go's `sumdb/note` and every
//! witness read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;

use crate::AttestError;
use crate::log::Hash;

/// The algorithm byte of an Ed25519 note key.
const ED25519: u8 = 0x01;

/// A log's signing key: Ed25519, named by the log's origin.
pub struct LogKey {
    name: String,
    signing: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(f, "LogKey({})", self.verifier_key())
    }
}

impl LogKey {
    /// The key of `seed` (RFC 8032's 32-byte private key), named `name`: a note key name, no
    /// spaces and no `+`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, AttestError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(AttestError::Key(format!("{name:?} is not a note key name")));
        }
        Ok(Self {
            name: name.to_owned(),
            signing: ed25519_dalek::SigningKey::from_bytes(seed),
        })
    }

    /// The private key, to be kept sealed.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The note verifier key an auditor checks checkpoints with.
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.name, &self.signing.verifying_key())
    }

    fn signer(&self) -> Result<StandardSigner, AttestError> {
        let public = [&[ED25519][..], self.signing.verifying_key().as_bytes()].concat();
        let private = [&[ED25519][..], self.signing.as_bytes()].concat();
        let skey = format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            signed_note::key_id(&self.name, &public),
            STANDARD.encode(private)
        );
        StandardSigner::new(&skey).map_err(|e| AttestError::Key(format!("{e:?}")))
    }

    /// `text` as a signed note: the text, a blank line, and this key's signature line.
    pub fn sign_note(&self, text: &str) -> Result<String, AttestError> {
        let mut note =
            Note::new(text.as_bytes(), &[]).map_err(|e| AttestError::Log(format!("{e:?}")))?;
        note.add_sigs(&[&self.signer()?])
            .map_err(|e| AttestError::Log(format!("{e:?}")))?;
        String::from_utf8(note.to_bytes()).map_err(|e| AttestError::Log(e.to_string()))
    }

    /// The signed checkpoint of the tree of `size` leaves with `root`, this key's name as its
    /// origin.
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<String, AttestError> {
        let checkpoint = Checkpoint::new(&self.name, size, root, "")
            .map_err(|e| AttestError::Log(e.to_string()))?;
        let text = String::from_utf8(checkpoint.to_bytes())
            .map_err(|e| AttestError::Log(e.to_string()))?;
        self.sign_note(&text)
    }
}

/// What a checkpoint says, once its signature holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// The checkpoint `note` states, if `verifier_key` signed it and its origin is the key's name.
pub fn open_checkpoint(note: &str, verifier_key: &str) -> Result<SignedCheckpoint, AttestError> {
    let verifier = StandardVerifier::new(verifier_key)
        .map_err(|e| AttestError::Key(format!("verifier key: {e:?}")))?;
    let name = verifier_key
        .split('+')
        .next()
        .unwrap_or_default()
        .to_owned();
    let note = Note::from_bytes(note.as_bytes())
        .map_err(|e| AttestError::Log(format!("not a signed note: {e:?}")))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| AttestError::BadSignature(format!("{name} ({e:?})")))?;
    let checkpoint = Checkpoint::from_bytes(note.text())
        .map_err(|e| AttestError::Log(format!("not a checkpoint: {e}")))?;
    if checkpoint.origin() != name {
        return Err(AttestError::Log(format!(
            "the checkpoint's origin {} is not the key's name {name}",
            checkpoint.origin()
        )));
    }
    Ok(SignedCheckpoint {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use super::*;

    /// The example of Go's `golang.org/x/mod/sumdb/note` package documentation (note.go), the
    /// reference implementation of C2SP signed notes: its key pair and its signed note.
    const GO_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n\
                           \n\
                           — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn go_key() -> LogKey {
        // The base64 holds a '+' of its own: it is everything after the fourth.
        let key = STANDARD
            .decode(GO_SKEY.splitn(5, '+').nth(4).unwrap())
            .unwrap();
        LogKey::from_seed("PeterNeumann", &key[1..].try_into().unwrap()).unwrap()
    }

    #[test]
    fn notes_are_signed_byte_for_byte_as_go_signs_them() {
        let key = go_key();
        assert_eq!(key.verifier_key(), GO_VKEY);
        assert_eq!(key.sign_note(GO_TEXT).unwrap(), GO_NOTE);
    }

    #[test]
    fn a_checkpoint_opens_with_its_key_only_and_not_once_altered() {
        let key = LogKey::from_seed("compliance-evidence/test", &[7; 32]).unwrap();
        let root = crate::log::leaf_hash(b"leaf");
        let note = key.sign_checkpoint(1, root).unwrap();
        let root_b64 = crate::log::encode(&root);
        assert!(
            note.starts_with(&format!("compliance-evidence/test\n1\n{root_b64}\n\n— ")),
            "{note}"
        );
        let opened = open_checkpoint(&note, &key.verifier_key()).unwrap();
        assert_eq!(
            opened,
            SignedCheckpoint {
                origin: "compliance-evidence/test".into(),
                size: 1,
                root
            }
        );
        // Another size, another key, or a key of another name: refused.
        assert!(open_checkpoint(&note.replacen("\n1\n", "\n2\n", 1), &key.verifier_key()).is_err());
        let other = LogKey::from_seed("compliance-evidence/test", &[8; 32]).unwrap();
        assert!(open_checkpoint(&note, &other.verifier_key()).is_err());
        assert!(open_checkpoint(&note, GO_VKEY).is_err());
        // Go's note is no checkpoint.
        assert!(open_checkpoint(GO_NOTE, GO_VKEY).is_err());
    }
}

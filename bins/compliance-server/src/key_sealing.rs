//! The key-sealing key: what seals every org's private signing key in the database, kept out
//! of it (a file, 0600, by default in the data directory), so that the database alone, a dump or
//! a local reader of it, yields no signing key.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use crate::private_file;

/// The key in the file at `path` (64 hex digits), made if there is none.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], String> {
    if let Some(text) = private_file::read(path)? {
        return parse(path, &text);
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        // The data directory, when the server uses a database of its own and made none there.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness for the key-sealing key: {e}"))?;
    match private_file::replace(path, &format!("{}\n", hex::encode(key))) {
        Ok(()) => Ok(key),
        // Another process made it first: theirs is the one.
        Err(error) => match private_file::read(path)? {
            Some(text) => parse(path, &text),
            None => Err(format!("the key-sealing key: {error}")),
        },
    }
}

fn parse(path: &Path, text: &str) -> Result<[u8; 32], String> {
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| format!("{} must hold a key of 64 hex digits", path.display()))
}

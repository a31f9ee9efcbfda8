//! Files holding secrets in the data directory (the admin tokens): 0600, and never reached
//! through a symlink someone planted there, whose target the server would otherwise overwrite.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::libc;

const MODE: u32 = 0o600;

/// Makes the file at `path` 0600 if there is one (`false` when there is none). A symlink or
/// anything but a regular file there is refused, never followed.
pub fn make_private(path: &Path) -> Result<bool, String> {
    let Some(file) = open_existing(path)? else {
        return Ok(false);
    };
    // Through the open file (fchmod): the file checked, whatever the path names by now.
    file.set_permissions(Permissions::from_mode(MODE))
        .map_err(|e| format!("cannot make {} private: {e}", path.display()))?;
    Ok(true)
}

/// Writes `contents` to `path` as a new file (O_CREAT | O_EXCL | O_NOFOLLOW, 0600), in place
/// of a regular file already there; a symlink there is refused.
pub fn replace(path: &Path, contents: &str) -> Result<(), String> {
    if make_private(path)? {
        // unlink removes the name only; the new file is then created exclusively.
        fs::remove_file(path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => format!(
                "refusing to write {}: something appeared there while writing it",
                path.display()
            ),
            _ => format!("cannot write {}: {e}", path.display()),
        })?;
    // The umask may have narrowed the mode further; 0600 is what we promise.
    file.set_permissions(Permissions::from_mode(MODE))
        .and_then(|()| file.write_all(contents.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The contents of the file at `path`, made 0600 first; `None` when there is none. A symlink or
/// anything but a regular file there is refused.
pub fn read(path: &Path) -> Result<Option<String>, String> {
    let Some(mut file) = open_existing(path)? else {
        return Ok(None);
    };
    let mut text = String::new();
    file.set_permissions(Permissions::from_mode(MODE))
        .and_then(|()| file.read_to_string(&mut text))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Some(text))
}

/// Opens a regular file at `path` without following a symlink (nor blocking on a FIFO);
/// `None` when nothing is there.
fn open_existing(path: &Path) -> Result<Option<File>, String> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(symlink_refused(path)),
        Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
    };
    let is_file = file
        .metadata()
        .map_err(|e| format!("cannot inspect {}: {e}", path.display()))?
        .is_file();
    if !is_file {
        return Err(format!(
            "refusing {}: it is not a regular file (remove it and start again)",
            path.display()
        ));
    }
    Ok(Some(file))
}

fn symlink_refused(path: &Path) -> String {
    format!(
        "refusing {}: it is a symbolic link, which the server never follows there (remove it \
         and start again)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_planted_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "precious\n").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("admin-token");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for error in [
            replace(&link, "cst_x\n").unwrap_err(),
            make_private(&link).unwrap_err(),
            read(&link).unwrap_err(),
        ] {
            assert!(error.contains("symbolic link"), "{error}");
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "precious\n");
        assert_eq!(mode(&target), 0o644, "the target's mode is untouched too");
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[test]
    fn a_dangling_symlink_is_refused_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let link = dir.path().join("admin-token");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = replace(&link, "cst_x\n").unwrap_err();
        assert!(error.contains("symbolic link"), "{error}");
        assert!(!target.exists());
    }

    #[test]
    fn an_existing_file_ends_up_0600_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-token");
        fs::write(&path, "stale\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        assert!(make_private(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        fs::set_permissions(&path, Permissions::from_mode(0o666)).unwrap();
        assert_eq!(read(&path).unwrap().as_deref(), Some("stale\n"));
        assert_eq!(mode(&path), 0o600, "reading makes it private too");
        replace(&path, "cst_new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "cst_new\n");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_new_file_is_0600_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-token");
        assert!(!make_private(&path).unwrap());
        assert_eq!(read(&path).unwrap(), None);
        replace(&path, "cst_new\n").unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-token");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let error = replace(&path, "cst_x\n").unwrap_err();
        assert!(error.contains("not a regular file"), "{error}");
    }
}

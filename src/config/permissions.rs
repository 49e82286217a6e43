//! A config file that holds passwords or tokens should be readable by its owner only.

use std::path::Path;

/// A warning when `path` holds secrets and others may read it; `None` otherwise (and always
/// on systems without unix permissions).
pub(super) fn warning(path: &Path, holds_secrets: bool) -> Option<String> {
    if !holds_secrets {
        return None;
    }
    let mode = unix_mode(path)?;
    (mode & 0o077 != 0).then(|| {
        format!(
            "config file {} holds passwords or tokens and is readable by other users \
             (mode {:03o}); restrict it with `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(unix)]
fn unix_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn unix_mode(_: &Path) -> Option<u32> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn only_a_file_with_secrets_that_others_can_read_is_warned_about() {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let set = |mode| {
            std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode))
                .expect("chmod")
        };
        set(0o644);
        let message = warning(file.path(), true).expect("world-readable file is warned about");
        assert!(message.contains("chmod 600"), "{message}");
        assert!(message.contains(&file.path().display().to_string()));
        assert_eq!(warning(file.path(), false), None);
        set(0o640);
        assert!(warning(file.path(), true).is_some());
        set(0o600);
        assert_eq!(warning(file.path(), true), None);
    }
}

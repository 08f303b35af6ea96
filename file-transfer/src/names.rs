//! File names a client may use, and the names the server keeps for itself.
//!
//! A client names a file, never a path: the server joins the name to its
//! root directory, so a name must not be able to climb out of it. Rather than
//! try to clean a path (`a/../../etc` and its many spellings), a name is
//! refused unless it is one plain component:
//!
//! * not empty, at most 255 bytes (the usual file-system limit);
//! * no `/` or `\` (no path, so no `../` and no absolute path), no NUL
//!   (C file APIs would cut the name there), no control characters (a
//!   newline would forge lines in logs);
//! * not `.` or `..`, and not starting with `.`: hidden names are the
//!   server's own (temporary and partial uploads);
//! * for uploads, not ending in `.1`, `.2`, ...: those are the kept versions
//!   of the file without the suffix (`FT_teste.xlsx.1` is the version before
//!   the current `FT_teste.xlsx`). They can be downloaded, not overwritten.
//!
//! Symbolic links inside the root are handled by [`crate::store`], which
//! checks where they lead.

/// The longest name accepted, in bytes.
pub const MAX_NAME: usize = 255;

/// Why a name is refused. Each message says what was wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The empty string.
    #[error("the file name is empty")]
    Empty,
    /// Over [`MAX_NAME`] bytes.
    #[error("the file name is {0} bytes long; the limit is 255")]
    TooLong(usize),
    /// A `/` or `\`: a path, not a name.
    #[error("{0:?} is a path; give a plain file name inside the served directory (no '/' or '\\')")]
    Path(String),
    /// A NUL byte.
    #[error("the file name contains a NUL byte")]
    Nul,
    /// A control character (newline, tab, escape...).
    #[error("the file name {0:?} contains a control character")]
    Control(String),
    /// `.` or `..`.
    #[error("{0:?} is not a file name")]
    Dots(String),
    /// Starts with `.`.
    #[error("{0:?} starts with '.': hidden names are reserved for the server's temporary files")]
    Hidden(String),
    /// Ends in `.N`: a kept version.
    #[error(
        "{0:?} ends in .<number>, which names a kept version of {1:?}; versions can be downloaded, not uploaded"
    )]
    Version(String, String),
}

/// Check a name for reading (download): one plain component.
///
/// ```
/// use file_transfer::names::check;
/// assert!(check("FT_teste.xlsx").is_ok());
/// assert!(check("FT_teste.xlsx.1").is_ok());
/// assert!(check("../etc/passwd").is_err());
/// assert!(check("/etc/passwd").is_err());
/// ```
pub fn check(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME {
        return Err(NameError::TooLong(name.len()));
    }
    if name.contains('\0') {
        return Err(NameError::Nul);
    }
    if name.contains(['/', '\\']) {
        return Err(NameError::Path(name.to_owned()));
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control(name.to_owned()));
    }
    if name == "." || name == ".." {
        return Err(NameError::Dots(name.to_owned()));
    }
    if name.starts_with('.') {
        return Err(NameError::Hidden(name.to_owned()));
    }
    Ok(())
}

/// Check a name for writing (upload): [`check`], and not a version name.
///
/// ```
/// use file_transfer::names::check_upload;
/// assert!(check_upload("FT_teste.xlsx").is_ok());
/// assert!(check_upload("FT_teste.xlsx.1").is_err());
/// assert!(check_upload("notas.2024.xlsx").is_ok());
/// ```
pub fn check_upload(name: &str) -> Result<(), NameError> {
    check(name)?;
    if let Some((base, _)) = split_version(name) {
        return Err(NameError::Version(name.to_owned(), base.to_owned()));
    }
    Ok(())
}

/// The name of version `n` (1 = the most recent previous one) of `name`.
pub fn version_name(name: &str, n: u32) -> String {
    format!("{name}.{n}")
}

/// `Some((base, n))` if `name` is `base.n`, a kept version (`n` ≥ 1, no
/// leading zero).
pub fn split_version(name: &str) -> Option<(&str, u32)> {
    let (base, suffix) = name.rsplit_once('.')?;
    if base.is_empty() || suffix.starts_with('0') {
        return None;
    }
    if !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok().map(|n| (base, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_including_accents_and_spaces() {
        for name in ["FT_teste.xlsx", "relatório final.pdf", "a", "x.tar.gz"] {
            assert_eq!(check_upload(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn traversal_and_absolute_paths_are_refused() {
        for name in ["../x", "..", "a/../../b", "/etc/passwd", "a\\b", "..\\x"] {
            assert!(check(name).is_err(), "{name} passed");
        }
        assert_eq!(check(".."), Err(NameError::Dots("..".into())));
    }

    #[test]
    fn nul_and_control_characters_are_refused() {
        assert_eq!(check("a\0b"), Err(NameError::Nul));
        assert!(matches!(check("a\nb"), Err(NameError::Control(_))));
        assert!(matches!(check("a\u{1b}[31m"), Err(NameError::Control(_))));
    }

    #[test]
    fn hidden_names_are_the_servers() {
        assert!(matches!(
            check(".ft-upload-1.tmp"),
            Err(NameError::Hidden(_))
        ));
    }

    #[test]
    fn the_length_limit_counts_bytes() {
        assert_eq!(check(&"a".repeat(255)), Ok(()));
        assert_eq!(check(&"é".repeat(128)), Err(NameError::TooLong(256)));
    }

    #[test]
    fn version_names_are_recognised() {
        assert_eq!(split_version("FT_teste.xlsx.1"), Some(("FT_teste.xlsx", 1)));
        assert_eq!(split_version("a.12"), Some(("a", 12)));
        assert_eq!(split_version("a.01"), None);
        assert_eq!(split_version("a.0"), None);
        assert_eq!(split_version("a.xlsx"), None);
        assert_eq!(split_version("7"), None);
        assert_eq!(version_name("FT_teste.xlsx", 2), "FT_teste.xlsx.2");
    }
}

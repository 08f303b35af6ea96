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
//!   the current `FT_teste.xlsx`). They can be downloaded, not overwritten;
//! * for uploads, at most 252 bytes ([`MAX_UPLOAD_NAME`]): a kept version
//!   adds up to `.99` to the name, and `NAME.99` must still fit in 255;
//! * for uploads, a name Windows can hold too ([`windows_problem`]): none
//!   of `< > : " | ? *`, not ending in `.` or a space, and not a device name
//!   (`CON`, `NUL.txt`, `COM1`...). A file stored here is meant to reach
//!   students on any system; and on a Windows server those names are not
//!   files at all (`a:b` writes a hidden stream of `a`, `C:x` is a path on
//!   drive C, `NUL` discards what is written). On Windows, downloads are
//!   held to the same rule;
//! * for uploads, a name must show what it is: not only spaces and
//!   invisible characters (it would look empty in a listing), and no
//!   invisible formatting character anywhere ([`is_invisible`]: zero-width
//!   characters hide text, and U+202E RIGHT-TO-LEFT OVERRIDE makes
//!   `fotos\u{202e}gpj.exe` display as `fotosexe.jpg`). Files the server's
//!   owner put in the directory by hand are still served whatever their
//!   names; a client cannot store such a name for the others to see.
//!
//! Symbolic links inside the root are handled by [`crate::store`], which
//! checks where they lead.

/// The longest name accepted, in bytes.
pub const MAX_NAME: usize = 255;

/// The most previous versions a server keeps of a file (`--keep-versions`).
pub const MAX_KEPT_VERSIONS: u32 = 99;

/// The longest name an upload may have, in bytes: [`MAX_NAME`] less the
/// longest version suffix (`.99`), so that every kept version's name fits
/// in the file system too.
pub const MAX_UPLOAD_NAME: usize = MAX_NAME - ".99".len();

/// Why a name is refused. Each message says what was wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The empty string.
    #[error("the file name is empty")]
    Empty,
    /// Over [`MAX_NAME`] bytes.
    #[error("the file name is {0} bytes long; the limit is 255")]
    TooLong(usize),
    /// An upload's name over [`MAX_UPLOAD_NAME`] bytes.
    #[error(
        "the file name is {0} bytes long; an upload's name may have at most 252, so that the names of its kept versions (up to NAME.99) fit in the file system's 255"
    )]
    TooLongForVersions(usize),
    /// Nothing but spaces and invisible characters.
    #[error("the file name {0:?} looks empty: it has no visible character")]
    LooksEmpty(String),
    /// An invisible formatting character: zero-width, or one that reorders
    /// the text around it.
    #[error(
        "the file name {name:?} contains U+{code:04X}, an invisible character that hides in a name or changes how it reads; remove it"
    )]
    Invisible {
        /// The name.
        name: String,
        /// The character's code point.
        code: u32,
    },
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
    /// A name Windows cannot hold as a file ([`windows_problem`]).
    #[error("{name:?} cannot be a file name on Windows: {why}; choose another name")]
    NotPortable {
        /// The name.
        name: String,
        /// What Windows makes of it.
        why: &'static str,
    },
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
    if cfg!(windows) {
        not_for_windows(name)?;
    }
    Ok(())
}

fn not_for_windows(name: &str) -> Result<(), NameError> {
    match windows_problem(name) {
        Some(why) => Err(NameError::NotPortable {
            name: name.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

/// What Windows would make of `name` (a plain component, already
/// [`check`]ed) if it is not an ordinary file name there; `None` if it is
/// one.
///
/// ```
/// use file_transfer::names::windows_problem;
/// assert_eq!(windows_problem("FT_teste.xlsx"), None);
/// assert!(windows_problem("nul.txt").is_some());
/// assert!(windows_problem("a:b").is_some());
/// ```
pub fn windows_problem(name: &str) -> Option<&'static str> {
    if name.contains(':') {
        return Some("':' names a drive or a hidden stream of another file");
    }
    if name.contains(['<', '>', '"', '|', '?', '*']) {
        return Some("'<', '>', '\"', '|', '?' and '*' are not allowed in names there");
    }
    if name.ends_with(['.', ' ']) {
        return Some("a final '.' or space is dropped there, so it would name another file");
    }
    // The device names, with any extension, in any case.
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    let numbered = |prefix: &str| {
        upper
            .strip_prefix(prefix)
            .is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit() && n != "0")
    };
    if ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(&upper.as_str())
        || numbered("COM")
        || numbered("LPT")
    {
        return Some("it names a device there, not a file");
    }
    None
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
    if name.len() > MAX_UPLOAD_NAME {
        return Err(NameError::TooLongForVersions(name.len()));
    }
    if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(NameError::LooksEmpty(name.to_owned()));
    }
    if let Some(c) = name.chars().find(|&c| is_invisible(c)) {
        return Err(NameError::Invisible {
            name: name.to_owned(),
            code: u32::from(c),
        });
    }
    if let Some((base, _)) = split_version(name) {
        return Err(NameError::Version(name.to_owned(), base.to_owned()));
    }
    not_for_windows(name)
}

/// Characters that show nothing where they stand, yet change what a name
/// is or how it reads: the zero-width ones (U+200B to U+200D, U+2060,
/// U+FEFF), the marks of direction and the bidirectional overrides and
/// isolates (U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069, U+061C),
/// the other invisible operators (U+2061 to U+2064), the soft hyphen
/// (U+00AD), the combining grapheme joiner (U+034F), the Mongolian vowel
/// separator (U+180E), the Hangul fillers and the Braille blank (which
/// look like nothing at all), the interlinear annotation marks (U+FFF9 to
/// U+FFFB) and the tag characters (U+E0000 to U+E007F).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
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
    #[test]
    fn names_windows_cannot_hold_are_refused_for_uploads() {
        for name in [
            "a:b",
            "C:x",
            "nota?.txt",
            "a*b",
            "<x>",
            "fim.",
            "fim ",
            "CON",
            "nul.txt",
            "Com1.xlsx",
            "lpt9",
            "aux .txt",
        ] {
            assert!(
                matches!(check_upload(name), Err(NameError::NotPortable { .. })),
                "{name:?}"
            );
        }
        for name in [
            "console.txt",
            "COM10",
            "com0",
            "nulo.txt",
            "a.b.c",
            "CONTAS.xlsx",
        ] {
            assert_eq!(windows_problem(name), None, "{name:?}");
            assert_eq!(check_upload(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn the_refusal_says_what_windows_makes_of_the_name() {
        let e = check_upload("a:b").expect_err("refused");
        assert_eq!(
            e.to_string(),
            "\"a:b\" cannot be a file name on Windows: ':' names a drive or a hidden stream of \
             another file; choose another name"
        );
    }

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
    fn an_uploads_name_leaves_room_for_the_longest_version_suffix() {
        let longest = "a".repeat(MAX_UPLOAD_NAME);
        assert_eq!(check_upload(&longest), Ok(()));
        assert_eq!(
            check(&version_name(&longest, MAX_KEPT_VERSIONS)),
            Ok(()),
            "its last version is a name too"
        );
        assert_eq!(
            check_upload(&"a".repeat(253)),
            Err(NameError::TooLongForVersions(253))
        );
    }

    #[test]
    fn names_that_look_empty_or_hide_characters_are_refused_for_uploads() {
        assert!(matches!(check_upload(" "), Err(NameError::LooksEmpty(_))));
        assert!(matches!(
            check_upload("\u{3164}\u{200b}"),
            Err(NameError::LooksEmpty(_))
        ));
        assert_eq!(
            check_upload("fotos\u{202e}gpj.exe"),
            Err(NameError::Invisible {
                name: "fotos\u{202e}gpj.exe".into(),
                code: 0x202e
            })
        );
        assert_eq!(check_upload("notas finais.xlsx"), Ok(()));
        // A file put there by hand is still served.
        assert_eq!(check("a\u{200b}b"), Ok(()));
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

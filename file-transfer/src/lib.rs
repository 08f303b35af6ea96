//! File transfer: send a file, edit it, send it back; with login, integrity
//! and nothing ever half-written.
//!
//! The course's file-transfer lesson gives a server that sends `teste.xlsx`
//! in 16 KiB chunks and closes the connection, and a client that writes
//! whatever arrives until the connection closes. That works on a good day.
//! On a bad one the client cannot tell a broken transfer from a finished
//! one (both end with the connection closing), nothing checks the content,
//! anybody can connect, and a transfer that breaks leaves a truncated file
//! under the real name. This crate keeps the slide's exercise (download
//! `FT_teste.xlsx`, edit it, send it back as the new version) and fixes each
//! of those:
//!
//! | problem | fix | module |
//! |---|---|---|
//! | no message boundaries | length-prefixed frames; a file is a header (name, 64-bit size), data frames and its SHA-256 (in a download's header, in an upload's trailer) | [`wire`], [`conn`] |
//! | broken = finished | the receiver knows the size; a short transfer is an error, resumable | [`client`] |
//! | no integrity check | SHA-256 of the whole file, checked before anything is replaced | [`disk`], [`server`] |
//! | no login | challenge-response (SCRAM-SHA-256): the password never crosses the wire | [`auth`] |
//! | paths | one plain name per file, confined to the served directory | [`names`], [`store`] |
//! | half-written files | temporary file, verify, sync, rename; previous versions kept | [`store`] |
//! | hostile clients | a connection cap; the login within `--timeout`, in frames of at most 1 KiB; memory that follows what arrived, not what was announced; peer text escaped in logs | [`server`], [`conn`] |
//!
//! # The protocol, by example
//!
//! `C:` the client sends, `S:` the server sends; each frame is a kind letter,
//! a 4-byte length and a body:
//!
//! ```text
//! S: H  hello    "file-transfer/1", server nonce
//! C: A  auth     "aluno", client nonce
//! S: C  challenge iterations, salt
//! C: P  proof    ClientKey XOR HMAC(StoredKey, AuthMessage)
//! S: W  welcome  HMAC(ServerKey, AuthMessage)
//! C: U  put      "FT_teste.xlsx", size, resume flag
//! S: R  ready    offset 0
//! C: D  data     ...chunk...   (as many as needed)
//! C: T  trailer  sha256 of the whole file (hashed while it was sent)
//! S: S  stored   size, sha256, "FT_teste.xlsx.1"
//! C: G  get      "FT_teste.xlsx", offset 0
//! S: F  file     size, sha256, offset 0
//! S: D  data     ...chunk...
//! ```
//!
//! The crate is a library first; the binaries in `src/bin/` only parse flags.
//! [`server::run`] serves a directory (the caller binds, so tests use port
//! 0), [`client::Client`] has one method per operation, and
//! [`exercise::run`] is the slide's challenge in one command.

pub mod auth;
pub mod client;
pub mod conn;
pub mod disk;
pub mod exercise;
pub mod names;
pub mod server;
pub mod store;
pub mod wire;

/// The environment variable that holds the password, for the client and for
/// the server's single-account mode.
pub const PASSWORD_ENV: &str = "FILE_TRANSFER_PASSWORD";

/// The default account name (the course's word for student).
pub const DEFAULT_USER: &str = "aluno";

/// How many characters of a sentence from the other side (an ERROR's
/// message, which may quote names) a log, transcript or terminal shows, once
/// escaped with [`common::escape`]. Ours are a line or two; a longer one is
/// cut, with its length.
pub const MESSAGE_SHOWN: usize = 1000;

/// Read a password from the terminal without echoing it. `None` when there
/// is no terminal to ask.
///
/// The terminal, not standard input, which may be a file or a pipe: on Unix
/// `/dev/tty`, on Windows the console (`CONIN$` and `CONOUT$`), whose echo
/// is turned off the same way. On Windows the console reads in its code
/// page, so a password with letters outside it (é in a console set to 437
/// is fine, Greek is not) is better given in [`PASSWORD_ENV`].
pub fn prompt_password(prompt: &str) -> Option<String> {
    use std::io::{BufRead, Write};
    let (input, output) = terminal_paths();
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(input)
        .ok()?;
    let mut out = std::fs::OpenOptions::new().write(true).open(output).ok()?;
    let _ = write!(out, "{prompt}");
    let _ = out.flush();
    let restore = no_echo(&tty);
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if let Some(restore) = restore {
        restore();
    }
    let _ = writeln!(out);
    read.ok()?;
    Some(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// The files that are the terminal: where a prompt reads, where it writes.
fn terminal_paths() -> (&'static str, &'static str) {
    if cfg!(windows) {
        ("CONIN$", "CONOUT$")
    } else {
        ("/dev/tty", "/dev/tty")
    }
}

/// Turn off echo on the terminal; returns how to turn it back on.
#[cfg(unix)]
fn no_echo(tty: &std::fs::File) -> Option<impl FnOnce()> {
    use std::os::unix::io::AsRawFd;
    let fd = tty.as_raw_fd();
    let mut term = std::mem::MaybeUninit::<libc::termios>::zeroed();
    // SAFETY: `fd` is an open terminal for the duration of this call and
    // `term` is writable memory of the right type.
    if unsafe { libc::tcgetattr(fd, term.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: tcgetattr returned 0, so it filled the structure.
    let saved = unsafe { term.assume_init() };
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    // SAFETY: `quiet` is a valid termios copied from the terminal's own.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
        return None;
    }
    Some(move || {
        // SAFETY: restores the settings read above on the same descriptor,
        // which the caller keeps open until after this runs.
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, &saved);
        }
    })
}

/// Turn off echo on the console; returns how to turn it back on.
#[cfg(windows)]
fn no_echo(console: &std::fs::File) -> Option<impl FnOnce()> {
    use std::ffi::c_void;
    use std::os::windows::io::AsRawHandle;
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetConsoleMode(console: *mut c_void, mode: *mut u32) -> i32;
        fn SetConsoleMode(console: *mut c_void, mode: u32) -> i32;
    }
    const ENABLE_ECHO_INPUT: u32 = 0x0004;
    let handle = console.as_raw_handle();
    let mut saved = 0u32;
    // SAFETY: `handle` is the console input the caller keeps open for this
    // call, and `saved` is a writable u32.
    if unsafe { GetConsoleMode(handle, &mut saved) } == 0 {
        return None;
    }
    // SAFETY: as above; the mode is the console's own, less one flag.
    if unsafe { SetConsoleMode(handle, saved & !ENABLE_ECHO_INPUT) } == 0 {
        return None;
    }
    Some(move || {
        // SAFETY: restores the mode read above on the same handle, which the
        // caller keeps open until after this runs.
        unsafe {
            SetConsoleMode(handle, saved);
        }
    })
}

#[cfg(not(any(unix, windows)))]
fn no_echo(_tty: &std::fs::File) -> Option<impl FnOnce()> {
    None::<fn()>
}

/// Parse a byte count: `16384`, `16K`, `16KiB`, `256k`, `1M`, `1MiB`, `2G`
/// (the suffixes are binary: K = 1024).
///
/// ```
/// use file_transfer::parse_size;
/// assert_eq!(parse_size("16KiB"), Ok(16384));
/// assert_eq!(parse_size("1M"), Ok(1 << 20));
/// assert_eq!(parse_size("100"), Ok(100));
/// assert!(parse_size("lots").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        "t" | "tib" | "tb" => 40,
        _ => return Err(format!("{s:?} is not a size (examples: 16384, 16K, 1MiB)")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("{s:?} is not a size (examples: 16384, 16K, 1MiB)"))
}

/// `seconds` since 1970 as `YYYY-MM-DD HH:MM:SS` (UTC).
///
/// ```
/// assert_eq!(file_transfer::format_time(1_714_000_000), "2024-04-24 23:06:40");
/// ```
pub fn format_time(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_binary_suffixes_and_refuse_overflow() {
        assert_eq!(parse_size("256k"), Ok(256 * 1024));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert!(parse_size("99999999999T").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn times_are_formatted_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00");
    }
}

//! The client: upload a workbook through the front and receive the script,
//! or convert it `--offline` with the same library code and no server.
//!
//! Either way the client also picks the script's warnings (its
//! `-- warning: ` comments: cells written as `NULL`, and why) out of the
//! script as it passes, so that a person sees them without reading the
//! script ([`Warnings`]).

use crate::ConvertError;
use crate::api::{self, ErrorBody};
use crate::convert::{Conversion, Options};
use crate::dialect::Dialect;
use crate::load::{LoadOptions, Loaded, Progress, Target};
use crate::workbook::Limits;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

/// Why the client could not deliver the script.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{url:?} is not an http:// or https:// URL")]
    BadUrl { url: String },
    #[error("cannot read {}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("cannot reach the front at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{message} (HTTP {status}{})", retry_after.map(|s| format!("; retry after {s} s")).unwrap_or_default())]
    Refused {
        status: u16,
        message: String,
        /// The server's `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    #[error("the script was cut short: {0}")]
    CutShort(String),
    #[error("cannot write the script: {0}")]
    Write(io::Error),
    #[error("{0}")]
    Convert(#[from] ConvertError),
}

impl ClientError {
    /// True if writing the script failed because its reader went away
    /// (`client book.xlsx | head`): not an error of the client's.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            ClientError::Write(e) | ClientError::Convert(ConvertError::Write(e)) => e,
            _ => return false,
        };
        io.kind() == io::ErrorKind::BrokenPipe
    }
}

/// The most warnings the client repeats; it counts the others. A script
/// of our converter lists at most [`crate::sql::LISTED_CELL_WARNINGS`] cells
/// and a line or two more; this bounds what another server may send.
pub const SHOWN_WARNINGS: usize = 200;

/// The longest warning kept, in bytes; the rest of a longer line is dropped.
const LONGEST_WARNING: usize = 2048;

/// What marks a warning in the script.
const WARNING: &[u8] = b"-- warning: ";

/// The warnings of a script: the first [`SHOWN_WARNINGS`], each as
/// `warning: Notas!D2: ...` (the comment without its `-- `), and how many
/// more there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    pub shown: Vec<String>,
    pub more: u64,
}

impl Warnings {
    /// What to show a person, one line each: the warnings, then the count
    /// of those not shown.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.shown.clone();
        if self.more > 0 {
            lines.push(format!(
                "warning: {} more warnings in the script are not shown here",
                self.more
            ));
        }
        lines
    }
}

/// Finds the warnings in a script that arrives in pieces of any size,
/// keeping no more of a line than a warning needs.
#[derive(Debug, Default)]
struct WarningScanner {
    /// The current line, while it may be a warning.
    line: Vec<u8>,
    /// The current line is not a warning: skip to its end.
    other: bool,
    warnings: Warnings,
}

impl WarningScanner {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let end = newline(bytes);
            let part = &bytes[..end.unwrap_or(bytes.len())];
            if !self.other {
                let room = LONGEST_WARNING.saturating_sub(self.line.len());
                self.line.extend_from_slice(&part[..part.len().min(room)]);
                let known = self.line.len().min(WARNING.len());
                if self.line[..known] != WARNING[..known] {
                    self.other = true;
                    self.line.clear();
                }
            }
            match end {
                Some(end) => {
                    self.end_line();
                    bytes = &bytes[end + 1..];
                }
                None => break,
            }
        }
    }

    fn end_line(&mut self) {
        if !self.other && self.line.starts_with(WARNING) {
            if self.warnings.shown.len() < SHOWN_WARNINGS {
                // Without the comment's `-- `.
                let text = String::from_utf8_lossy(&self.line[3..]);
                self.warnings.shown.push(text.into_owned());
            } else {
                self.warnings.more += 1;
            }
        }
        self.line.clear();
        self.other = false;
    }

    fn finish(mut self) -> Warnings {
        self.end_line();
        self.warnings
    }
}

/// Where the first line break in `bytes` is. Every byte of the script
/// passes here: `skip_until` finds it with the system's `memchr`, many
/// bytes at a time, where a loop over the bytes takes one.
fn newline(bytes: &[u8]) -> Option<usize> {
    let mut rest = bytes;
    let through = io::BufRead::skip_until(&mut rest, b'\n').unwrap_or(0);
    (through > 0 && bytes[through - 1] == b'\n').then(|| through - 1)
}

/// A writer that passes the script on and picks out its warnings.
struct Scanned<W> {
    out: W,
    scanner: WarningScanner,
}

impl<W: Write> Write for Scanned<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.scanner.feed(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// What the front delivered: the script's size, and its warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    pub bytes: u64,
    pub warnings: Warnings,
}

/// A client of the front.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    /// A client for the front at `url` (e.g. `http://127.0.0.1:3000`).
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let url = url.trim_end_matches('/').to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ClientError::BadUrl { url });
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self { http, url })
    }

    /// The front's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `POST /upload` with the workbook at `path` and the options (and
    /// `into`, a database URL, to load rather than convert); the answer if
    /// it is a success, else the server's reason.
    async fn upload(
        &self,
        path: &Path,
        name: &str,
        options: &Options,
        into: Option<&str>,
    ) -> Result<reqwest::Response, ClientError> {
        let file_error = |source| ClientError::File {
            path: path.to_owned(),
            source,
        };
        let file = tokio::fs::File::open(path).await.map_err(file_error)?;
        let size = file.metadata().await.map_err(file_error)?.len();
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)),
            size,
        )
        .file_name(name.to_owned());
        let mut form = reqwest::multipart::Form::new()
            .part(api::FORM_FILE, part)
            .text(api::FORM_BATCH, options.batch.to_string());
        if options.create_table {
            form = form.text(api::FORM_CREATE_TABLE, "true");
        }
        for sheet in &options.sheets {
            form = form.text(api::FORM_SHEET, sheet.clone());
        }
        if let Some(row) = options.header_row {
            form = form.text(api::FORM_HEADER_ROW, row.to_string());
        }
        if options.no_inference {
            form = form.text(api::FORM_NO_INFERENCE, "true");
        }
        if !options.types.is_empty() {
            form = form.text(api::FORM_TYPES, crate::shape::types_text(&options.types));
        }
        if options.dialect != Dialect::default() {
            form = form.text(api::FORM_DIALECT, options.dialect.to_string());
        }
        if let Some(table) = &options.table {
            form = form.text(api::FORM_TABLE, table.clone());
        }
        if let Some(if_exists) = options.if_exists {
            form = form.text(api::FORM_IF_EXISTS, if_exists.to_string());
        }
        if let Some(into) = into {
            form = form.text(api::FORM_INTO, into.to_owned());
        }
        let url = format!("{}{}", self.url, api::UPLOAD);
        let response = self
            .http
            .post(&url)
            .multipart(form)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: self.url.clone(),
                reason: crate::http::reason(&e),
            })?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse().ok());
            // A sentence is short: a server sending more is not believed
            // further (the terminal's side escapes what is shown).
            let text = crate::http::text_at_most(response, 64 * 1024).await;
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error)
                .unwrap_or_else(|_| {
                    let text = text.trim();
                    if text.is_empty() {
                        status.canonical_reason().unwrap_or("refused").to_owned()
                    } else {
                        text.to_owned()
                    }
                });
            return Err(ClientError::Refused {
                status: status.as_u16(),
                message,
                retry_after,
            });
        }
        Ok(response)
    }

    /// Upload the workbook at `path` (`POST /upload`) and ask the converter
    /// to load it into the database at `into` (which its operator must
    /// allow); returns what was loaded.
    pub async fn load(
        &self,
        path: &Path,
        name: &str,
        options: &Options,
        into: &str,
    ) -> Result<Loaded, ClientError> {
        let response = self.upload(path, name, options, Some(into)).await?;
        let text = crate::http::text_at_most(response, 1024 * 1024).await;
        serde_json::from_str(&text)
            .map_err(|e| ClientError::CutShort(format!("the converter's report is not JSON ({e})")))
    }

    /// Upload the workbook at `path` (`POST /upload`) under the name `name`
    /// (the script's first comment says it) and write the script to `out`
    /// as it arrives; returns the bytes written and the script's warnings.
    pub async fn convert<W: AsyncWrite + Unpin>(
        &self,
        path: &Path,
        name: &str,
        options: &Options,
        out: &mut W,
    ) -> Result<Delivered, ClientError> {
        let mut response = self.upload(path, name, options, None).await?;
        let mut written = 0u64;
        let mut scanner = WarningScanner::default();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    out.write_all(&chunk).await.map_err(ClientError::Write)?;
                    scanner.feed(&chunk);
                    written += chunk.len() as u64;
                }
                Ok(None) => break,
                Err(e) => return Err(ClientError::CutShort(crate::http::reason(&e))),
            }
        }
        out.flush().await.map_err(ClientError::Write)?;
        Ok(Delivered {
            bytes: written,
            warnings: scanner.finish(),
        })
    }
}

/// Convert the workbook at `path`, named `name` in the script, here, without
/// a server, writing the script to `out`, within `limits` (the memory budget
/// matters here too: a hostile file costs this machine what it would cost
/// the converter). Returns `out` and the script's warnings.
pub fn convert_offline<W: Write>(
    path: &Path,
    name: &str,
    options: &Options,
    limits: &Limits,
    out: W,
) -> Result<(W, Warnings), ClientError> {
    let file = std::fs::File::open(path).map_err(|source| ClientError::File {
        path: path.to_owned(),
        source,
    })?;
    let conversion = Conversion::open(BufReader::new(file), Some(name), options, limits)?;
    let out = Scanned {
        out,
        scanner: WarningScanner::default(),
    };
    let (scanned, _) = conversion.write(out)?;
    Ok((scanned.out, scanned.scanner.finish()))
}

/// Load the workbook at `path` into `target` here, with the same library
/// code as the converter, without any server: the tables are named and
/// typed for the target's dialect. Blocking; `progress` is called at most
/// once a second while rows are sent.
pub fn load_offline(
    path: &Path,
    options: &Options,
    limits: &Limits,
    target: &Target,
    load: LoadOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ClientError> {
    let file = std::fs::File::open(path).map_err(|source| ClientError::File {
        path: path.to_owned(),
        source,
    })?;
    let options = Options {
        dialect: target.dialect(),
        ..options.clone()
    };
    let conversion = Conversion::open(BufReader::new(file), None, &options, limits)?;
    Ok(crate::load::load(conversion, target, load, progress)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pieces: &[&[u8]]) -> Warnings {
        let mut scanner = WarningScanner::default();
        for piece in pieces {
            scanner.feed(piece);
        }
        scanner.finish()
    }

    #[test]
    fn warnings_are_found_whatever_the_pieces() {
        let script = b"-- MySQL script\n-- warning: A!B2: #N/A; written as NULL\nINSERT 1;\n\
                       -- sheet 'x'\n-- warning: last, without a newline";
        let whole = scan(&[script]);
        assert_eq!(
            whole.shown,
            [
                "warning: A!B2: #N/A; written as NULL",
                "warning: last, without a newline"
            ]
        );
        let bytes: Vec<&[u8]> = script.chunks(1).collect();
        assert_eq!(scan(&bytes), whole);
        let split: Vec<&[u8]> = script.chunks(7).collect();
        assert_eq!(scan(&split), whole);
    }

    #[test]
    fn a_long_warning_is_cut_and_other_lines_are_not_kept() {
        let long = [b"-- warning: ".as_slice(), &[b'x'; 10_000], b"\n"].concat();
        let warnings = scan(&[&long]);
        assert_eq!(warnings.shown.len(), 1);
        assert_eq!(warnings.shown[0].len(), LONGEST_WARNING - 3);
        let mut scanner = WarningScanner::default();
        scanner.feed(&[b'x'; 100_000]);
        assert!(
            scanner.line.is_empty(),
            "a line that is not a warning is not kept"
        );
    }

    #[test]
    fn past_the_shown_warnings_they_are_counted() {
        let script = "-- warning: w\n".repeat(SHOWN_WARNINGS + 7);
        let warnings = scan(&[script.as_bytes()]);
        assert_eq!(warnings.shown.len(), SHOWN_WARNINGS);
        assert_eq!(warnings.more, 7);
        assert_eq!(
            warnings.lines().last().map(String::as_str),
            Some("warning: 7 more warnings in the script are not shown here")
        );
    }
}

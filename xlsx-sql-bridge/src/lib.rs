//! Two HTTP services on one machine turn a spreadsheet into a MySQL script.
//!
//! The course's paper (seed `000`) describes two backend servers that talk
//! REST over HTTP even though they share a machine: an upload server
//! receives an `.xlsx` file by `POST`, saves it, and sends its *path* as JSON
//! to a converter, which reads the workbook and answers with a MySQL script.
//! The point is that a request between two processes on one machine travels
//! the same TCP/IP layers as one between two machines; so the two services
//! here always talk HTTP, even when one process runs both, and either can
//! run alone (`--role front`, `--role converter`) on another machine.
//!
//! ```text
//!  browser / client            front (:3000)                    converter (:5000)
//!  POST /upload (multipart) ─▶ saves the file (≤ 50 MB)
//!                              POST /uploads  (the bytes)   ─▶ stores them, answers
//!                              ◀─ 201 {"upload_id": "9f1c…"}    an id it chose
//!                              POST /convert  {"upload_id"} ─▶ resolves the id in its
//!  ◀── the script, streamed ◀─ ◀── 200 application/sql ◀───── own table, converts,
//!                                                               deletes the upload
//! ```
//!
//! What the paper's design gets wrong, and this one fixes: a converter that
//! opens whatever path a request names lets anyone who reaches it read any
//! file on its machine. Here the converter never takes a path: it receives
//! the workbook's bytes, keeps them under an id it generated itself, and
//! converts only ids from its own table. Every upload is deleted once
//! converted, whether the conversion worked or not.
//!
//! The crate is a library first: [`sql`] writes the script (pure functions),
//! [`workbook`] reads the four formats calamine knows, [`budget`] estimates
//! what reading a workbook will cost before it is expanded (and holds the
//! conversion's deadline), [`convert`] reads each sheet once, keeping its
//! rows in a [`spool`] until the script's header is known, and writes the
//! script from them,
//! [`converter`] and [`front`] are the two services (`run(listener, config,
//! shutdown)`: the caller binds; both are served by `common::serve`, with
//! its connection cap and timeouts), [`api`] the JSON that crosses between
//! them (and `http` what they share about HTTP), and [`client`] the
//! command-line client, which uploads through the front or converts
//! `--offline` with the same code.

pub mod api;
pub mod budget;
pub mod client;
pub mod convert;
pub mod converter;
pub mod dialect;
pub mod front;
mod http;
pub mod load;
pub mod preview;
pub mod shape;
pub mod spool;
pub mod sql;
pub mod workbook;

/// The default upload limit of both services: 50 MB.
pub const DEFAULT_MAX_UPLOAD: u64 = 50 * 1024 * 1024;

/// The tracing target of the log lines that show the REST calls between the
/// two services; the server's default log filter shows them.
pub const REST_LOG: &str = "xlsx_sql_bridge::rest";

/// Why a workbook could not become a script.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("the file is empty")]
    Empty,
    #[error("not a workbook: {0}")]
    NotAWorkbook(String),
    #[error("the workbook is truncated or damaged: {0}")]
    Damaged(String),
    #[error("the file looks like a zip bomb: {0}")]
    ZipBomb(String),
    #[error("the workbook is password-protected; save a copy without a password and convert that")]
    Encrypted,
    #[error("the workbook has no sheet named {sheet:?}; its sheets are {available}")]
    NoSuchSheet { sheet: String, available: String },
    #[error("{0}")]
    Options(String),
    #[error(
        "the workbook is too large to convert: {what} would take about {} of memory, more than \
         the {} one conversion may use (--conversion-memory raises it)",
        workbook::human_bytes(*needs),
        workbook::human_bytes(*limit)
    )]
    TooBig {
        what: String,
        needs: u64,
        limit: u64,
    },
    #[error(
        "converting the workbook took longer than the {} s one conversion may take \
         (--conversion-timeout raises it); convert one sheet at a time, or use the client's --offline",
        .0.as_secs_f64()
    )]
    TimedOut(std::time::Duration),
    #[error("cannot read the workbook: {0}")]
    Read(String),
    #[error("cannot write the script: {0}")]
    Write(#[from] std::io::Error),
    /// Loading into a database failed (the sentence names the database).
    #[error("{0}")]
    Load(String),
    /// A table to load exists already, and `--if-exists` is `fail`.
    #[error("{0}")]
    Exists(String),
}

impl ConvertError {
    /// True if the error is about the file or the options (the client's to
    /// fix: HTTP 422 or 400), false if it is the machine's (reading or
    /// writing failed).
    pub fn is_about_the_input(&self) -> bool {
        !matches!(
            self,
            ConvertError::Read(_) | ConvertError::Write(_) | ConvertError::Load(_)
        )
    }
}

/// Where a service keeps the files it receives until they are converted.
///
/// By default a fresh private directory under the system's temporary
/// directory, removed when the service stops; `--upload-dir` names one
/// instead (kept, only its files are removed).
#[derive(Debug)]
pub enum UploadDir {
    Owned(tempfile::TempDir),
    Given(std::path::PathBuf),
}

impl UploadDir {
    /// `given`, or a fresh private directory named after `service`.
    pub fn new(given: Option<&std::path::Path>, service: &str) -> std::io::Result<Self> {
        match given {
            Some(path) => {
                std::fs::create_dir_all(path)?;
                Ok(Self::Given(path.to_owned()))
            }
            None => Ok(Self::Owned(
                tempfile::Builder::new()
                    .prefix(&format!("xlsx-sql-bridge-{service}-"))
                    .tempdir()?,
            )),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Owned(dir) => dir.path(),
            Self::Given(path) => path,
        }
    }

    /// A new, empty file in the directory, deleted when the returned path
    /// is dropped.
    pub fn new_file(&self, prefix: &str) -> std::io::Result<(std::fs::File, tempfile::TempPath)> {
        let file = tempfile::Builder::new()
            .prefix(prefix)
            .tempfile_in(self.path())?;
        Ok(file.into_parts())
    }
}

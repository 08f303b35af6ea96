//! The JSON that crosses between the services, and the routes.
//!
//! The converter's API (what the front calls):
//!
//! | request | answer |
//! |---|---|
//! | `POST /uploads`, body: the workbook's bytes | `201 {"upload_id": "<32 hex digits>", "size": N}` |
//! | `POST /convert`, body: [`ConvertRequest`] as JSON | `200`, the script (`application/sql`), streamed |
//! | `POST /preview`, body: [`ConvertRequest`] without `into` | `200`, a [`Preview`](crate::preview::Preview) in JSON |
//! | `DELETE /uploads/{id}` | `204`: an upload given up before its conversion |
//! | `GET /health` | `200 {"status": "ok", "service": "converter"}` |
//!
//! Every error is `{"error": "<a sentence>"}` ([`ErrorBody`]) with its
//! status: 400 a malformed request (including one that names a `path`),
//! 404 an unknown upload id, 413 an upload over the limit, 422 a file that
//! is not a readable workbook, or one too large to convert (its memory
//! estimate is over the limit) or too slow (past the time limit), 503 too
//! many uploads waiting or no conversion slot free in time (with
//! `Retry-After`).
//!
//! The front's API (what the page and the client call): `GET /` the page,
//! `POST /upload` a `multipart/form-data` form with the fields [`FORM_FILE`]
//! (the workbook), and optionally [`FORM_BATCH`], [`FORM_CREATE_TABLE`],
//! [`FORM_SHEET`] (repeated for several), [`FORM_HEADER_ROW`],
//! [`FORM_NO_INFERENCE`], [`FORM_TYPES`], [`FORM_DIALECT`], [`FORM_TABLE`],
//! [`FORM_IF_EXISTS`], [`FORM_INTO`]; the answer is the converter's, passed through (with its
//! `Retry-After`), or the front's own: 502 a converter that cannot be
//! reached, 504 one that does not answer in time. `POST /preview` takes the
//! same form without `into` and answers the converter's
//! [`Preview`](crate::preview::Preview), which the page shows after an
//! upload so that the header row and the sheets can be chosen.

use crate::dialect::Dialect;
use crate::load::IfExists;
use serde::{Deserialize, Serialize};

pub const UPLOADS: &str = "/uploads";
pub const CONVERT: &str = "/convert";
/// The converter's and the front's preview (see [`crate::preview`]).
pub const PREVIEW: &str = "/preview";
pub const HEALTH: &str = "/health";
pub const UPLOAD: &str = "/upload";

/// The form field that carries the workbook.
pub const FORM_FILE: &str = "file";
/// The form field for rows per `INSERT`.
pub const FORM_BATCH: &str = "batch";
/// The form field that asks for `CREATE TABLE` (`on`, `true` or `1`).
pub const FORM_CREATE_TABLE: &str = "create_table";
/// The form field that picks a sheet (repeated: several).
pub const FORM_SHEET: &str = "sheet";
/// The form field for the 1-based row that names the columns.
pub const FORM_HEADER_ROW: &str = "header_row";
/// The form field that makes every column text (`on`, `true` or `1`).
pub const FORM_NO_INFERENCE: &str = "no_inference";
/// The form field for column types chosen by hand: `Idade=integer,CEP=text`.
pub const FORM_TYPES: &str = "types";
/// The form field that picks the SQL dialect: `mysql` (the default),
/// `postgres` or `sqlite`.
pub const FORM_DIALECT: &str = "dialect";
/// The form field that names the table (one sheet).
pub const FORM_TABLE: &str = "table";
/// The form field for what an existing table meets: `fail`, `append`,
/// `replace`.
pub const FORM_IF_EXISTS: &str = "if_exists";
/// The form field that asks to load into a database (its URL) instead of
/// answering with a script.
pub const FORM_INTO: &str = "into";

/// The media type of the script.
pub const SQL_CONTENT_TYPE: &str = "application/sql; charset=utf-8";

/// The converter's answer to `POST /uploads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCreated {
    /// The id to name in `POST /convert`: 32 lowercase hex digits, chosen
    /// by the converter at random.
    pub upload_id: String,
    /// The bytes stored.
    pub size: u64,
}

/// The body of `POST /convert`. Unknown fields are refused, so the paper's
/// `{"path": "/tmp/..."}` gets a clear 400 instead of being ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// An id from `POST /uploads`.
    pub upload_id: String,
    /// The workbook's original name, for the script's first comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Rows per `INSERT` (default 1).
    #[serde(default = "one")]
    pub batch: usize,
    /// Add `CREATE TABLE` and a transaction.
    #[serde(default)]
    pub create_table: bool,
    /// Convert only this sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Convert only these sheets (after `sheet`, if both are given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// The 1-based row that names the columns (rows above it are left
    /// out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u32>,
    /// Every column text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_inference: bool,
    /// Column types chosen by hand, as `--types` takes them:
    /// `"Idade=integer,CEP=text"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<String>,
    /// The script's SQL dialect: `"mysql"` (the default), `"postgres"`,
    /// `"sqlite"`.
    #[serde(default, skip_serializing_if = "is_mysql")]
    pub dialect: Dialect,
    /// The table's name instead of `Table_` + the sheet's (one table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// `"fail"`, `"append"` or `"replace"`: what a table that exists meets
    /// (implies `create_table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_exists: Option<IfExists>,
    /// A database URL (`mysql://...`, `postgres://...`): load the rows
    /// there instead of answering with a script, if the converter's
    /// `--allow-into` lists its host; the answer is then a [`Loaded`]
    /// report in JSON.
    ///
    /// [`Loaded`]: crate::load::Loaded
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<String>,
}

impl ConvertRequest {
    /// The request as JSON for a log: the password of `into` hidden.
    pub fn logged(&self) -> String {
        let shown = Self {
            into: self.into.as_deref().map(crate::load::shown_url),
            ..self.clone()
        };
        serde_json::to_string(&shown).unwrap_or_default()
    }
}

/// Leaves the default out of the request, so that a request for the paper's
/// MySQL script is the same JSON as before dialects existed.
fn is_mysql(dialect: &Dialect) -> bool {
    *dialect == Dialect::Mysql
}

fn one() -> usize {
    1
}

/// Every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// True if `id` has the form the converter gives ids: 32 lowercase hex
/// digits. Anything else (`../../etc/passwd`, an absolute path) is refused
/// before any lookup.
///
/// ```
/// use xlsx_sql_bridge::api::is_upload_id;
/// assert!(is_upload_id("0123456789abcdef0123456789abcdef"));
/// assert!(!is_upload_id("../../etc/passwd"));
/// assert!(!is_upload_id("0123456789ABCDEF0123456789ABCDEF"));
/// ```
pub fn is_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh upload id: 128 random bits from the operating system, so ids
/// cannot be guessed by other users of the converter.
pub fn new_upload_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A `Content-Disposition` value offering `name` as the download's name:
/// an ASCII fallback and the exact UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_and_differ() {
        let a = new_upload_id().expect("random bytes");
        let b = new_upload_id().expect("random bytes");
        assert!(is_upload_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn a_path_is_not_an_id() {
        for bad in [
            "/etc/passwd",
            "..",
            "",
            "0123456789abcdef0123456789abcde/",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert!(!is_upload_id(bad), "{bad}");
        }
    }

    #[test]
    fn the_request_refuses_a_path_field() {
        let err = serde_json::from_str::<ConvertRequest>(r#"{"path": "/etc/passwd"}"#)
            .expect_err("refused");
        assert!(err.to_string().contains("path"), "{err}");
    }

    #[test]
    fn the_request_has_defaults() {
        let req: ConvertRequest = serde_json::from_str(r#"{"upload_id": "x"}"#).expect("parses");
        assert_eq!(req.batch, 1);
        assert!(!req.create_table);
        assert_eq!(req.sheet, None);
        assert_eq!(req.dialect, Dialect::Mysql);
    }

    #[test]
    fn a_mysql_request_is_the_json_it_was_before_dialects() {
        let mut req: ConvertRequest =
            serde_json::from_str(r#"{"upload_id": "x"}"#).expect("parses");
        assert_eq!(
            serde_json::to_string(&req).expect("JSON"),
            r#"{"upload_id":"x","batch":1,"create_table":false}"#
        );
        req.dialect = Dialect::Postgres;
        let json = serde_json::to_string(&req).expect("JSON");
        assert!(json.ends_with(r#","dialect":"postgres"}"#), "{json}");
        let err = serde_json::from_str::<ConvertRequest>(r#"{"upload_id":"x","dialect":"oracle"}"#)
            .expect_err("refused");
        assert!(err.to_string().contains("oracle"), "{err}");
    }

    #[test]
    fn disposition_keeps_accents_in_the_utf8_name() {
        assert_eq!(
            content_disposition("Preços.sql"),
            "attachment; filename=\"Pre_os.sql\"; filename*=UTF-8''Pre%C3%A7os.sql"
        );
    }
}

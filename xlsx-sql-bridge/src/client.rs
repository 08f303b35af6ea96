//! The client: upload a workbook through the front and receive the script,
//! or convert it `--offline` with the same library code and no server.

use crate::ConvertError;
use crate::api::{self, ErrorBody};
use crate::convert::{Conversion, Options, Summary};
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

    /// Upload the workbook at `path` (`POST /upload`) and write the script
    /// to `out` as it arrives; returns the bytes written.
    pub async fn convert<W: AsyncWrite + Unpin>(
        &self,
        path: &Path,
        options: &Options,
        out: &mut W,
    ) -> Result<u64, ClientError> {
        let file_error = |source| ClientError::File {
            path: path.to_owned(),
            source,
        };
        let file = tokio::fs::File::open(path).await.map_err(file_error)?;
        let size = file.metadata().await.map_err(file_error)?.len();
        let name = path
            .file_name()
            .map_or_else(|| "workbook".into(), |n| n.to_string_lossy().into_owned());
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)),
            size,
        )
        .file_name(name);
        let mut form = reqwest::multipart::Form::new()
            .part(api::FORM_FILE, part)
            .text(api::FORM_BATCH, options.batch.to_string());
        if options.create_table {
            form = form.text(api::FORM_CREATE_TABLE, "true");
        }
        if let Some(sheet) = &options.sheet {
            form = form.text(api::FORM_SHEET, sheet.clone());
        }
        let url = format!("{}{}", self.url, api::UPLOAD);
        let mut response = self
            .http
            .post(&url)
            .multipart(form)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: self.url.clone(),
                reason: crate::front::error_chain(&e),
            })?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse().ok());
            // A sentence is short: a server sending more is not believed
            // further (the terminal's side escapes what is shown).
            let text = crate::front::text_at_most(response, 64 * 1024).await;
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
        let mut written = 0u64;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    out.write_all(&chunk).await.map_err(ClientError::Write)?;
                    written += chunk.len() as u64;
                }
                Ok(None) => break,
                Err(e) => return Err(ClientError::CutShort(crate::front::error_chain(&e))),
            }
        }
        out.flush().await.map_err(ClientError::Write)?;
        Ok(written)
    }
}

/// Convert the workbook at `path` here, without a server, writing the script
/// to `out`, within `limits` (the memory budget matters here too: a
/// hostile file costs this machine what it would cost the converter).
pub fn convert_offline<W: Write>(
    path: &Path,
    options: &Options,
    limits: &Limits,
    out: W,
) -> Result<(W, Summary), ClientError> {
    let file = std::fs::File::open(path).map_err(|source| ClientError::File {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let conversion = Conversion::open(BufReader::new(file), name.as_deref(), options, limits)?;
    Ok(conversion.write(out)?)
}

//! The upload front (NodeJS in the paper): the page, and `POST /upload`,
//! which hands the workbook to the converter over HTTP and passes its
//! answer back.
//!
//! One `POST /upload` makes two REST calls to the converter, logged under
//! the target [`crate::REST_LOG`]:
//!
//! ```text
//! front -> converter: POST http://127.0.0.1:5000/uploads (8.1 KiB) -> 201 Created {"upload_id":"9f1c…","size":8312}
//! front -> converter: POST http://127.0.0.1:5000/convert {"upload_id":"9f1c…","file_name":"Animals.xlsx","batch":1,"create_table":false} -> 200 OK
//! ```
//!
//! The form's file is first saved in the front's own upload directory,
//! counting bytes: past the limit the answer is 413 and nothing reaches the
//! converter. The saved copy is deleted as soon as the converter holds the
//! bytes, and also when anything fails. The script is not buffered: the
//! converter's response body is passed through as it arrives.
//!
//! Every call to the converter is bounded by [`FrontConfig::converter_timeout`]:
//! for its answer to start (the converter answers `/convert` once it has
//! read the workbook, so this covers its queue and the reading), and then between
//! any two pieces of the script. A converter that accepts and never answers
//! is a 504 that names the limit, rather than a page that waits for ever.

use crate::api::{self, ConvertRequest, ErrorBody, UploadCreated};
use crate::convert::{MAX_BATCH, Options};
use crate::dialect::UnknownDialect;
use crate::http::{content_length, error, reason, text_at_most};
use crate::load::UnknownIfExists;
use crate::workbook::human_bytes;
use crate::{REST_LOG, UploadDir};
use axum::Router;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::escape::{SHOWN, escape};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The page: plain HTML, CSS and JavaScript, embedded in the binary.
const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");

/// How a form that cannot be read is described.
const MALFORMED: &str = "the form is malformed";

/// Room for the form's other fields and multipart boundaries.
const FORM_SLACK: u64 = 1024 * 1024;

/// Past the limit, the rest of a form is read and dropped up to this many
/// times the limit, so that a client still sending receives the 413 rather
/// than a reset connection; beyond it the connection is cut.
const DRAIN_FACTOR: u64 = 2;

/// The default time the front waits for the converter: 90 s, longer than the
/// converter's own queue wait and conversion time limit together, so that
/// a converter at work answers for itself.
pub const DEFAULT_CONVERTER_TIMEOUT: Duration = Duration::from_secs(90);

/// At most this much of an error answer is read (a sentence is far shorter).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// At most this much of a preview is read: its sample is bounded (see
/// [`crate::preview`]) far below this.
const MAX_PREVIEW_BODY: usize = 16 * 1024 * 1024;

/// How the front behaves.
#[derive(Debug, Clone)]
pub struct FrontConfig {
    /// The converter's base URL, e.g. `http://127.0.0.1:5000`.
    pub converter_url: String,
    /// The largest workbook accepted, in bytes (413 beyond).
    pub max_upload: u64,
    /// Where uploads wait while they are sent on (default: a fresh private
    /// temporary directory).
    pub upload_dir: Option<std::path::PathBuf>,
    /// How long the converter may take to start answering a call, and then
    /// between two pieces of the script (504 beyond).
    pub converter_timeout: Duration,
    /// Connections: cap, header and body timeouts.
    pub connections: common::serve::Limits,
}

impl Default for FrontConfig {
    fn default() -> Self {
        Self {
            converter_url: format!("http://{}", common::addr::XLSX_CONVERTER),
            max_upload: crate::DEFAULT_MAX_UPLOAD,
            upload_dir: None,
            converter_timeout: DEFAULT_CONVERTER_TIMEOUT,
            connections: common::serve::Limits::default(),
        }
    }
}

struct FrontState {
    http: reqwest::Client,
    converter: String,
    converter_timeout: Duration,
    max_upload: u64,
    dir: UploadDir,
}

/// The front's routes, with fresh state.
pub fn app(config: FrontConfig) -> io::Result<Router> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10).min(config.converter_timeout))
        // Between two pieces of an answer (a script streams for as long as
        // it takes, but never stops for this long).
        .read_timeout(config.converter_timeout)
        .build()
        .map_err(io::Error::other)?;
    let state = Arc::new(FrontState {
        http,
        converter: config.converter_url.trim_end_matches('/').to_owned(),
        converter_timeout: config.converter_timeout,
        max_upload: config.max_upload,
        dir: UploadDir::new(config.upload_dir.as_deref(), "front")?,
    });
    let body_limit = usize::try_from(
        config
            .max_upload
            .saturating_mul(DRAIN_FACTOR)
            .saturating_add(FORM_SLACK),
    )
    .unwrap_or(usize::MAX);
    Ok(Router::new()
        .route("/", get(|| page(INDEX_HTML, "text/html; charset=utf-8")))
        .route(
            "/app.js",
            get(|| page(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route("/app.css", get(|| page(APP_CSS, "text/css; charset=utf-8")))
        .route(api::HEALTH, get(health))
        .route(
            api::UPLOAD,
            post(upload).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route(
            api::PREVIEW,
            post(preview).layer(DefaultBodyLimit::max(body_limit)),
        )
        .fallback(|uri: axum::http::Uri| async move {
            error(
                StatusCode::NOT_FOUND,
                format!("no such page: {}", uri.path()),
            )
        })
        .with_state(state))
}

/// Serve the front on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: TcpListener,
    config: FrontConfig,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let connections = config.connections.clone();
    let app = app(config)?;
    common::serve::http::serve_router(listener, app, &connections, shutdown).await
}

async fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn health(State(state): State<Arc<FrontState>>) -> Response {
    axum::Json(serde_json::json!({
        "status": "ok",
        "service": "front",
        "converter": state.converter,
        "max_upload": state.max_upload,
    }))
    .into_response()
}

/// The workbook as the front saved it.
struct Saved {
    path: tempfile::TempPath,
    name: Option<String>,
    size: u64,
}

/// Why reading the form stopped.
enum FormError {
    TooLarge,
    Bad(String),
    Disk(io::Error),
}

impl FormError {
    /// What a failure to read the form means: past the body limit, the
    /// upload is too large; otherwise the form is broken, and `what` says
    /// how ("the form is malformed", "the upload was cut short").
    fn from_multipart(e: &MultipartError, what: &str) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FormError::TooLarge
        } else {
            FormError::Bad(format!("{what}: {}", e.body_text()))
        }
    }
}

/// The answer to a form the front could not take.
fn refused(e: FormError, max_upload: u64) -> Response {
    match e {
        FormError::TooLarge => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is larger than the upload limit of {}",
                human_bytes(max_upload)
            ),
        ),
        FormError::Bad(message) => error(StatusCode::BAD_REQUEST, message),
        FormError::Disk(e) => {
            tracing::error!("cannot save an upload: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the front cannot save the upload: {e}"),
            )
        }
    }
}

/// A form read: the workbook saved, and the choices made.
struct Form {
    saved: Saved,
    options: Options,
    into: Option<String>,
}

/// `POST /upload`: save the form's file, then the two calls to the converter.
async fn upload(
    State(state): State<Arc<FrontState>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    match hand_over(&state, &headers, form, api::UPLOAD).await {
        Ok(request) => request_script(&state, &request).await,
        Err(response) => response,
    }
}

/// `POST /preview`: the same form as `/upload`, without `into`; the answer
/// is the converter's preview of it ([`crate::preview::Preview`], JSON).
async fn preview(
    State(state): State<Arc<FrontState>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    match hand_over(&state, &headers, form, api::PREVIEW).await {
        Ok(request) => request_preview(&state, &request).await,
        Err(response) => response,
    }
}

/// Read the form sent to `route` and send its workbook to the converter
/// (the first REST call): the request to make of the converter next.
async fn hand_over(
    state: &FrontState,
    headers: &HeaderMap,
    form: Multipart,
    route: &str,
) -> Result<ConvertRequest, Response> {
    let form = read_form(state, headers, form).await?;
    if route == api::PREVIEW && form.into.is_some() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "a preview loads nothing: send `{}` to {}, not to {}",
                api::FORM_INTO,
                api::UPLOAD,
                api::PREVIEW
            ),
        ));
    }
    let Form {
        saved,
        options,
        into,
    } = form;
    let created = send_upload(state, &saved).await?;
    // The converter holds the bytes now; the front's copy goes.
    let Saved { path, name, .. } = saved;
    drop(path);
    Ok(ConvertRequest {
        upload_id: created.upload_id,
        file_name: name,
        batch: options.batch,
        create_table: options.create_table,
        sheet: None,
        sheets: options.sheets,
        header_row: options.header_row,
        no_inference: options.no_inference,
        types: (!options.types.is_empty()).then(|| crate::shape::types_text(&options.types)),
        dialect: options.dialect,
        table: options.table,
        if_exists: options.if_exists,
        into,
    })
}

/// Read the form: its file saved (at most `max_upload` bytes), its fields
/// checked.
async fn read_form(
    state: &FrontState,
    headers: &HeaderMap,
    mut form: Multipart,
) -> Result<Form, Response> {
    let too_large = || refused(FormError::TooLarge, state.max_upload);
    let drain_cap = state
        .max_upload
        .saturating_mul(DRAIN_FACTOR)
        .saturating_add(FORM_SLACK);
    if content_length(headers).is_some_and(|n| n > drain_cap) {
        return Err(too_large());
    }
    let mut saved: Option<Saved> = None;
    let mut options = Options::default();
    let mut into: Option<String> = None;
    let mut batch_given = false;
    let mut over_limit = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(refused(
                    FormError::from_multipart(&e, MALFORMED),
                    state.max_upload,
                ));
            }
        };
        let name = field.name().map(str::to_owned);
        if over_limit {
            // Read the rest of the form and drop it (see DRAIN_FACTOR).
            if discard(field).await.is_err() {
                return Err(too_large());
            }
            continue;
        }
        let result = match name.as_deref() {
            Some(api::FORM_FILE) => save(state, field).await.map(|s| saved = Some(s)),
            Some(api::FORM_BATCH) => small_text(field).await.and_then(|text| {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(());
                }
                batch_given = true;
                options.batch = text.parse().map_err(|_| {
                    FormError::Bad(format!(
                        "batch must be a whole number from 1 to {MAX_BATCH}, not {text:?}"
                    ))
                })?;
                Ok(())
            }),
            Some(api::FORM_CREATE_TABLE) => small_text(field).await.map(|text| {
                options.create_table = matches!(text.trim(), "on" | "true" | "1" | "yes");
            }),
            Some(api::FORM_SHEET) => small_text(field).await.map(|text| {
                if !text.is_empty() {
                    options.sheets.push(text);
                }
            }),
            Some(api::FORM_HEADER_ROW) => small_text(field).await.and_then(|text| {
                let text = text.trim();
                if !text.is_empty() {
                    options.header_row = Some(text.parse().map_err(|_| {
                        FormError::Bad(format!(
                            "header_row must be a row number from 1, not {text:?}"
                        ))
                    })?);
                }
                Ok(())
            }),
            Some(api::FORM_NO_INFERENCE) => small_text(field).await.map(|text| {
                options.no_inference = matches!(text.trim(), "on" | "true" | "1" | "yes");
            }),
            Some(api::FORM_TYPES) => small_text(field).await.and_then(|text| {
                options.types = crate::shape::parse_types(&text)
                    .map_err(|e| FormError::Bad(format!("types: {e}")))?;
                Ok(())
            }),
            Some(api::FORM_INTO) => small_text(field).await.map(|text| {
                into = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
            }),
            Some(api::FORM_TABLE) => small_text(field).await.map(|text| {
                options.table = Some(text).filter(|t| !t.is_empty());
            }),
            Some(api::FORM_IF_EXISTS) => small_text(field).await.and_then(|text| {
                if !text.trim().is_empty() {
                    options.if_exists = Some(
                        text.parse()
                            .map_err(|e: UnknownIfExists| FormError::Bad(e.to_string()))?,
                    );
                }
                Ok(())
            }),
            Some(api::FORM_DIALECT) => small_text(field).await.and_then(|text| {
                if !text.trim().is_empty() {
                    options.dialect = text
                        .parse()
                        .map_err(|e: UnknownDialect| FormError::Bad(e.to_string()))?;
                }
                Ok(())
            }),
            _ => small_text(field).await.map(|_| ()),
        };
        match result {
            Ok(()) => {}
            Err(FormError::TooLarge) => over_limit = true,
            Err(e) => return Err(refused(e, state.max_upload)),
        }
    }
    if over_limit {
        return Err(too_large());
    }
    let Some(saved) = saved else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "the form has no file: send the workbook in a field named `{}`",
                api::FORM_FILE
            ),
        ));
    };
    if into.is_some() && !batch_given {
        options.batch = crate::load::DEFAULT_LOAD_BATCH;
    }
    if let Err(message) = options.validate() {
        return Err(error(StatusCode::BAD_REQUEST, message));
    }
    Ok(Form {
        saved,
        options,
        into,
    })
}

/// Save the file field in the front's directory, at most `max_upload` bytes.
async fn save(state: &FrontState, mut field: Field<'_>) -> Result<Saved, FormError> {
    let name = field.file_name().map(str::to_owned);
    let (file, path) = state.dir.new_file("front-").map_err(FormError::Disk)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut size: u64 = 0;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => return Err(FormError::from_multipart(&e, "the upload was cut short")),
        };
        size += chunk.len() as u64;
        if size > state.max_upload {
            drop(path);
            return match discard(field).await {
                Ok(()) | Err(FormError::TooLarge) => Err(FormError::TooLarge),
                Err(other) => Err(other),
            };
        }
        file.write_all(&chunk).await.map_err(FormError::Disk)?;
    }
    file.flush().await.map_err(FormError::Disk)?;
    Ok(Saved { path, name, size })
}

/// Read a field to its end and drop it; fails once the body limit is hit.
async fn discard(mut field: Field<'_>) -> Result<(), FormError> {
    loop {
        match field.chunk().await {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(e) => return Err(FormError::from_multipart(&e, MALFORMED)),
        }
    }
}

/// A short text field (options); at most 1 KiB.
async fn small_text(mut field: Field<'_>) -> Result<String, FormError> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 1024 {
                    return Err(FormError::Bad(format!(
                        "the form field {:?} is longer than 1 KiB",
                        field.name().unwrap_or("")
                    )));
                }
            }
            Ok(None) => break,
            Err(e) => return Err(FormError::from_multipart(&e, MALFORMED)),
        }
    }
    String::from_utf8(bytes).map_err(|_| FormError::Bad("a form field is not UTF-8 text".into()))
}

/// The converter's error, passed on with its status (and `Retry-After`);
/// or 502 if it did not answer like the converter.
async fn relay_error(url: &str, response: reqwest::Response) -> Response {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER.as_str())
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
    let text = text_at_most(response, MAX_ERROR_BODY).await;
    let mut answer = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => error(status, body.error),
        Err(_) => error(
            StatusCode::BAD_GATEWAY,
            format!("the converter at {url} answered {status} without an error message"),
        ),
    };
    if let Some(value) = retry_after {
        answer.headers_mut().insert(header::RETRY_AFTER, value);
    }
    answer
}

/// A call to the converter that failed: 504 if it did not answer in time,
/// else 502.
fn unreachable(state: &FrontState, url: &str, e: &reqwest::Error) -> Response {
    if e.is_timeout() {
        return timed_out(state, url);
    }
    tracing::warn!(target: REST_LOG, "front -> converter: {url} failed: {}", escape(&reason(e), SHOWN));
    error(
        StatusCode::BAD_GATEWAY,
        format!("the converter at {url} is unreachable: {}", reason(e)),
    )
}

fn timed_out(state: &FrontState, url: &str) -> Response {
    let secs = state.converter_timeout.as_secs_f64();
    tracing::warn!(target: REST_LOG, "front -> converter: {url} did not answer within {secs} s");
    error(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "the converter at {url} did not answer within {secs} s (the front's \
             --converter-timeout); it may be overloaded or stuck, try again later"
        ),
    )
}

/// Send `request` to the converter, waiting at most the converter timeout
/// for its answer to start.
async fn call(
    state: &FrontState,
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, Response> {
    match tokio::time::timeout(state.converter_timeout, request.send()).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(unreachable(state, url, &e)),
        Err(_) => Err(timed_out(state, url)),
    }
}

/// The first REST call: `POST /uploads` with the saved bytes, streamed from
/// disk.
async fn send_upload(state: &FrontState, saved: &Saved) -> Result<UploadCreated, Response> {
    let url = format!("{}{}", state.converter, api::UPLOADS);
    let started = Instant::now();
    let file = tokio::fs::File::open(&saved.path).await.map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the front cannot read back the upload: {e}"),
        )
    })?;
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let request = state
        .http
        .post(&url)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, saved.size)
        .body(body);
    let response = call(state, &url, request).await?;
    let status = response.status();
    if status != reqwest::StatusCode::CREATED {
        tracing::info!(target: REST_LOG, "front -> converter: POST {url} ({}) -> {status}", human_bytes(saved.size));
        return Err(relay_error(&url, response).await);
    }
    let text = text_at_most(response, MAX_ERROR_BODY).await;
    let created: UploadCreated = serde_json::from_str(&text).map_err(|e| {
        error(
            StatusCode::BAD_GATEWAY,
            format!("the converter at {url} answered something that is not an upload: {e}"),
        )
    })?;
    if !api::is_upload_id(&created.upload_id) {
        return Err(error(
            StatusCode::BAD_GATEWAY,
            format!("the converter at {url} answered an upload id that is not 32 hex digits"),
        ));
    }
    tracing::info!(
        target: REST_LOG,
        "front -> converter: POST {url} ({}) -> {status} {} ({} ms)",
        human_bytes(saved.size),
        serde_json::to_string(&created).unwrap_or_default(),
        started.elapsed().as_millis()
    );
    Ok(created)
}

/// The second REST call: `POST /convert` with the id; the script streams
/// through.
async fn request_script(state: &FrontState, request: &ConvertRequest) -> Response {
    let response = match second_call(state, api::CONVERT, request).await {
        Ok((response, _)) => response,
        Err(answer) => return answer,
    };
    let mut headers = HeaderMap::new();
    for name in [header::CONTENT_TYPE, header::CONTENT_DISPOSITION] {
        if let Some(value) = response.headers().get(name.as_str())
            && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
        {
            headers.insert(name, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (headers, Body::from_stream(response.bytes_stream())).into_response()
}

/// The second REST call, `POST {route}` with `request`, logged: the
/// converter's successful answer and its URL, or the answer to give
/// instead (its error passed on, or the front's 502 or 504).
async fn second_call(
    state: &FrontState,
    route: &str,
    request: &ConvertRequest,
) -> Result<(reqwest::Response, String), Response> {
    let url = format!("{}{route}", state.converter);
    let started = Instant::now();
    let response = match call(state, &url, state.http.post(&url).json(request)).await {
        Ok(response) => response,
        Err(answer) => {
            // The upload may wait in the converter's table; say it is not
            // needed, without making the answer wait for that too.
            let forget = state.http.delete(format!(
                "{}{}/{}",
                state.converter,
                api::UPLOADS,
                request.upload_id
            ));
            let limit = state.converter_timeout;
            tokio::spawn(async move {
                let _ = tokio::time::timeout(limit, forget.send()).await;
            });
            return Err(answer);
        }
    };
    let status = response.status();
    tracing::info!(target: REST_LOG, "front -> converter: POST {url} {} -> {status} ({} ms)", escape(&request.logged(), SHOWN), started.elapsed().as_millis());
    if !status.is_success() {
        return Err(relay_error(&url, response).await);
    }
    Ok((response, url))
}

/// The second REST call of a preview: `POST /preview` with the id; its JSON
/// is passed on, at most [`MAX_PREVIEW_BODY`] of it.
async fn request_preview(state: &FrontState, request: &ConvertRequest) -> Response {
    let (response, url) = match second_call(state, api::PREVIEW, request).await {
        Ok(answered) => answered,
        Err(answer) => return answer,
    };
    // Checked, not only passed on: the page trusts this shape.
    let text = text_at_most(response, MAX_PREVIEW_BODY).await;
    match serde_json::from_str::<crate::preview::Preview>(&text) {
        Ok(preview) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(preview)).into_response(),
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            format!("the converter at {url} answered something that is not a preview: {e}"),
        ),
    }
}

//! The converter service (Flask in the paper): workbook bytes in, a MySQL
//! script out, over a small JSON API (see [`crate::api`]).
//!
//! The paper's converter receives a *path* and opens it. Anyone who can
//! reach such a service can have it read any file its process may read
//! (`{"path": "/etc/shadow"}`), and it only works while both services share
//! a disk. This one never opens a name that came from the network:
//!
//! 1. `POST /uploads` receives the workbook's bytes and stores them in the
//!    converter's own upload directory, in a file the converter names; it
//!    answers an id it generated (128 random bits).
//! 2. `POST /convert {"upload_id": ...}` looks the id up in the converter's
//!    own table; an id it did not hand out, or anything that is not 32 hex
//!    digits, is refused. A request that still names a `path` gets a 400
//!    that says why.
//! 3. The upload is taken out of the table (an id works once) and deleted
//!    when the conversion ends, whether it worked, failed, or the client
//!    went away; the deletion happens before the last byte of the answer, so
//!    a client that has read the whole script knows the file is gone.
//!    Uploads never converted are deleted after [`ConverterConfig::upload_ttl`],
//!    and all of them when the service stops.
//!
//! Conversions run on blocking threads, at most
//! [`ConverterConfig::max_conversions`] at a time, and write the script into
//! a channel that the HTTP response reads from: the client receives it while
//! it is being made. Each is bounded three ways, so that a few hostile files
//! cannot hold the converter for everyone else:
//!
//! * **memory**: a workbook whose reading would need more than
//!   [`Limits::max_memory`] is refused (422) before it is expanded
//!   ([`crate::budget`]);
//! * **time**: a conversion still running [`ConverterConfig::conversion_timeout`]
//!   after it started is abandoned: its thread checks the deadline between
//!   rows, and while it waits for a slow client. Before the script has
//!   started the answer is 422; after, the body is cut, so that no client
//!   takes a partial script for a whole one;
//! * **the queue**: a conversion waits at most
//!   [`ConverterConfig::queue_timeout`] for a free slot; then the answer is
//!   503 with `Retry-After`.

use crate::api::{self, ConvertRequest, UploadCreated};
use crate::budget::Deadline;
use crate::convert::{Conversion, Options};
use crate::http::{content_length, error};
use crate::load::{LoadOptions, Target};
use crate::workbook::{Limits, human_bytes};
use crate::{ConvertError, REST_LOG, UploadDir};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use common::escape::{SHOWN, escape};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// The default time one conversion may take, from its start to the last
/// byte of the script: 60 s.
pub const DEFAULT_CONVERSION_TIMEOUT: Duration = Duration::from_secs(60);

/// The default time a conversion waits for a free slot: 10 s.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the converter behaves.
#[derive(Debug, Clone)]
pub struct ConverterConfig {
    /// The largest upload accepted, in bytes (413 beyond).
    pub max_upload: u64,
    /// Zip-bomb limits and the memory budget of one conversion.
    pub limits: Limits,
    /// How long one conversion may take (its deadline is set when it
    /// starts).
    pub conversion_timeout: Duration,
    /// How long a conversion waits for one of the `max_conversions` slots
    /// (503 beyond).
    pub queue_timeout: Duration,
    /// Connections: cap, header and body timeouts.
    pub connections: common::serve::Limits,
    /// Where uploads wait (default: a fresh private temporary directory).
    pub upload_dir: Option<std::path::PathBuf>,
    /// How long an upload that nobody converts is kept.
    pub upload_ttl: Duration,
    /// How many uploads may wait at once (503 beyond).
    pub max_pending: usize,
    /// How many conversions run at once.
    pub max_conversions: usize,
    /// The database hosts a request may load into (`into`), lower case;
    /// none by default: the converter reaches no database unless its
    /// operator says which.
    pub allow_into: Vec<String>,
}

impl Default for ConverterConfig {
    fn default() -> Self {
        Self {
            max_upload: crate::DEFAULT_MAX_UPLOAD,
            limits: Limits::default(),
            upload_dir: None,
            upload_ttl: Duration::from_secs(600),
            max_pending: 64,
            max_conversions: default_conversions(),
            conversion_timeout: DEFAULT_CONVERSION_TIMEOUT,
            queue_timeout: DEFAULT_QUEUE_TIMEOUT,
            connections: common::serve::Limits::default(),
            allow_into: Vec::new(),
        }
    }
}

/// One conversion slot per core: conversions are CPU-bound.
pub fn default_conversions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

struct Upload {
    /// Deletes the file when dropped.
    path: tempfile::TempPath,
    stored: Instant,
}

struct ConverterState {
    dir: UploadDir,
    uploads: Mutex<HashMap<String, Upload>>,
    config: ConverterConfig,
    conversions: Arc<Semaphore>,
}

impl ConverterState {
    fn uploads(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        // A panic while the lock was held cannot leave the map inconsistent
        // (every operation on it is a single insert or remove).
        self.uploads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forget (and so delete) uploads older than the TTL.
    fn sweep(&self) {
        let ttl = self.config.upload_ttl;
        self.uploads().retain(|id, upload| {
            let keep = upload.stored.elapsed() < ttl;
            if !keep {
                tracing::info!(target: REST_LOG, "converter: upload {id} expired unconverted; deleted");
            }
            keep
        });
    }
}

/// The converter's routes, with fresh state.
pub fn app(config: ConverterConfig) -> io::Result<Router> {
    Ok(routes(new_state(config)?))
}

fn new_state(config: ConverterConfig) -> io::Result<Arc<ConverterState>> {
    let dir = UploadDir::new(config.upload_dir.as_deref(), "converter")?;
    Ok(Arc::new(ConverterState {
        dir,
        uploads: Mutex::new(HashMap::new()),
        conversions: Arc::new(Semaphore::new(config.max_conversions.max(1))),
        config,
    }))
}

fn routes(state: Arc<ConverterState>) -> Router {
    Router::new()
        .route("/", get(describe))
        .route(api::HEALTH, get(health))
        .route(api::UPLOADS, post(upload))
        .route("/uploads/{id}", delete(forget))
        .route(
            api::CONVERT,
            post(convert).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .route(
            api::PREVIEW,
            post(preview).layer(DefaultBodyLimit::max(64 * 1024)),
        )
        .fallback(not_found)
        .with_state(state)
}

/// Serve the converter on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: TcpListener,
    config: ConverterConfig,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let state = new_state(config)?;
    // Uploads nobody converts are deleted once their time is up, even if
    // no other upload comes to trigger a sweep.
    let sweeper = tokio::spawn({
        let state = Arc::clone(&state);
        let shutdown = shutdown.clone();
        async move {
            let every = (state.config.upload_ttl / 4).max(Duration::from_secs(1));
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(every) => state.sweep(),
                }
            }
        }
    });
    let connections = state.config.connections.clone();
    let served =
        common::serve::http::serve_router(listener, routes(state), &connections, shutdown).await;
    sweeper.abort();
    served
}

/// The status for a conversion error.
pub(crate) fn status_of(e: &ConvertError) -> StatusCode {
    match e {
        ConvertError::Options(_) => StatusCode::BAD_REQUEST,
        ConvertError::Read(_) | ConvertError::Write(_) => StatusCode::INTERNAL_SERVER_ERROR,
        // The database is the converter's upstream server.
        ConvertError::Load(_) => StatusCode::BAD_GATEWAY,
        ConvertError::Exists(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

async fn describe() -> Response {
    axum::Json(serde_json::json!({
        "service": "xlsx-sql-bridge converter",
        "endpoints": {
            "POST /uploads": "body: the workbook's bytes; answers 201 {\"upload_id\", \"size\"}",
            "POST /convert": "body: {\"upload_id\", \"file_name\"?, \"batch\"?, \"create_table\"?, \"sheet\"?, \"sheets\"?, \"header_row\"?, \"no_inference\"?, \"types\"?, \"dialect\"?, \"table\"?, \"if_exists\"?, \"into\"?}; answers the SQL script (MySQL unless dialect says postgres or sqlite), or with into (a database URL whose host --allow-into lists) loads it there and answers {\"tables\": [{\"sheet\", \"table\", \"rows\"}], \"warnings\", \"more_warnings\"}",
            "POST /preview": "body: as /convert, without into; answers what the conversion would make of the chosen sheets: {\"sheet_names\", \"sheets\": [{\"sheet\", \"table\", \"header_row\", \"rows\", \"columns\": [{\"letter\", \"name\", \"type\", \"chosen\"}], \"sample\": [{\"row\", \"cells\"}]}], \"more_sheets\"}",
            "DELETE /uploads/{id}": "forget an upload that will not be converted",
            "GET /health": "{\"status\": \"ok\"}",
        }
    }))
    .into_response()
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok", "service": "converter"})).into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no such route: {}", uri.path()),
    )
}

/// `POST /uploads`: store the body under a fresh id.
async fn upload(
    State(state): State<Arc<ConverterState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let max = state.config.max_upload;
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than the limit of {}",
                human_bytes(max)
            ),
        )
    };
    // Past the limit the rest of the body is read and dropped, up to twice
    // the limit, so that a client still sending reads the 413 instead of a
    // reset connection; a body declared larger than that is refused at once.
    let drain_cap = max.saturating_mul(2);
    if content_length(&headers).is_some_and(|n| n > drain_cap) {
        return too_large();
    }
    state.sweep();
    if state.uploads().len() >= state.config.max_pending {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many uploads are waiting to be converted; try again shortly",
        );
    }
    let stored = async {
        let id = api::new_upload_id()?;
        let (file, path) = state.dir.new_file("upload-")?;
        let mut file = tokio::fs::File::from_std(file);
        let mut body = body.into_data_stream();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| io::Error::new(io::ErrorKind::UnexpectedEof, e))?;
            size += chunk.len() as u64;
            if size > max {
                drop(path);
                while let Some(Ok(chunk)) = body.next().await {
                    size += chunk.len() as u64;
                    if size > drain_cap {
                        break;
                    }
                }
                return Ok(None);
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        Ok::<_, io::Error>(Some((id, path, size)))
    };
    let (id, path, size) = match stored.await {
        Ok(Some(stored)) => stored,
        Ok(None) => return too_large(),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            tracing::warn!("an upload was cut short: {}", escape(&e.to_string(), SHOWN));
            return error(
                StatusCode::BAD_REQUEST,
                format!("the upload was cut short: {e}"),
            );
        }
        Err(e) => {
            tracing::error!("cannot store an upload: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the converter cannot store the upload: {e}"),
            );
        }
    };
    state.uploads().insert(
        id.clone(),
        Upload {
            path,
            stored: Instant::now(),
        },
    );
    tracing::info!(target: REST_LOG, "converter: POST /uploads -> 201 Created, upload {id} ({})", human_bytes(size));
    let location = HeaderValue::from_str(&format!("{}/{id}", api::UPLOADS))
        .unwrap_or_else(|_| HeaderValue::from_static(api::UPLOADS));
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(UploadCreated {
            upload_id: id,
            size,
        }),
    )
        .into_response()
}

/// `DELETE /uploads/{id}`: forget an upload.
async fn forget(State(state): State<Arc<ConverterState>>, Path(id): Path<String>) -> Response {
    if !api::is_upload_id(&id) {
        return error(StatusCode::BAD_REQUEST, bad_id(&id));
    }
    match state.uploads().remove(&id) {
        Some(_) => {
            tracing::info!(target: REST_LOG, "converter: DELETE /uploads/{id} -> 204; deleted");
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, unknown_id(&id)),
    }
}

fn bad_id(id: &str) -> String {
    format!(
        "upload_id must be the 32 lowercase hex digits that POST /uploads answered, not \"{}\"; \
         the converter opens no path sent over the network",
        escape(id, 80)
    )
}

fn unknown_id(id: &str) -> String {
    format!("no upload with id {id}: it was converted already, expired, or never existed")
}

/// The 400 answer to a `/convert` body that is not a [`ConvertRequest`].
fn bad_request_body(body: &[u8], e: &serde_json::Error) -> String {
    let names_a_path = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.contains_key("path")))
        .unwrap_or(false);
    if names_a_path {
        "the converter does not open paths sent over the network (that would let any caller \
         read any file on its machine); POST the workbook's bytes to /uploads and send the \
         upload_id it answers"
            .to_owned()
    } else {
        format!("the body must be JSON like {{\"upload_id\": \"...\"}}: {e}")
    }
}

/// What the blocking conversion reports before the script starts.
struct Ready {
    script_name: String,
    summary: String,
}

/// What goes from the conversion's thread to the response body.
enum Piece {
    Script(Bytes),
    /// The script is complete: the body may end cleanly. Without it, a body
    /// whose sender is gone ends with an error, so that no client mistakes a
    /// script cut short for a whole one.
    End,
    Failed(io::Error),
}

/// The 503 answer when no conversion slot frees in time.
fn queue_full(state: &ConverterState) -> Response {
    let wait = state.config.queue_timeout;
    let retry = wait.as_secs().max(1);
    let mut response = error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the converter is busy: none of its {} conversion slots came free within {} s \
             (its --queue-timeout); try again in {retry} s",
            state.config.max_conversions.max(1),
            wait.as_secs_f64()
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&retry.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `POST /convert`: convert an upload and stream the script.
async fn convert(State(state): State<Arc<ConverterState>>, body: Bytes) -> Response {
    let (request, mut options) = match read_request(api::CONVERT, &body) {
        Ok(read) => read,
        Err(answer) => return *answer,
    };
    let id = request.upload_id.clone();
    let target = match &request.into {
        None => None,
        Some(url) => match allowed_target(&state.config.allow_into, url) {
            Ok(target) => {
                options.dialect = target.dialect();
                Some(target)
            }
            Err((status, message)) => {
                tracing::warn!(target: REST_LOG, "converter: POST /convert upload {id} -> {status}: {}", escape(&message, SHOWN));
                return error(status, message);
            }
        },
    };
    let (upload, permit, limits) = match take_upload(&state, api::CONVERT, &id).await {
        Ok(taken) => taken,
        Err(answer) => return answer,
    };
    let deadline = limits.deadline;
    if let Some(target) = target {
        return load_upload(upload, request, options, limits, target, permit).await;
    }
    let (ready_tx, ready_rx) = oneshot::channel();
    let (chunks_tx, chunks_rx) = mpsc::channel(4);
    let job = request.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // Held until the thread is done, however the request ends: the slot
        // is free only once the work has stopped.
        let _permit = permit;
        let writer = ChannelWriter {
            chunks: chunks_tx,
            deadline,
            runtime,
        };
        convert_upload(upload, &id, &job, &options, &limits, ready_tx, writer);
    });
    let ready = by_deadline(&limits, ready_rx).await;
    match ready {
        Ok(Ok(ready)) => {
            tracing::info!(target: REST_LOG, "converter: POST /convert upload {} -> 200 OK, {}; streaming", request.upload_id, ready.summary);
            let disposition = HeaderValue::from_str(&api::content_disposition(&ready.script_name))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            let body = Body::from_stream(futures_util::stream::unfold(
                Some(chunks_rx),
                |rx| async move {
                    let mut rx = rx?;
                    match rx.recv().await {
                        Some(Piece::Script(bytes)) => Some((Ok(bytes), Some(rx))),
                        Some(Piece::End) => None,
                        Some(Piece::Failed(e)) => Some((Err(e), None)),
                        None => Some((
                            Err(io::Error::other(
                                "the conversion stopped before the end of the script",
                            )),
                            None,
                        )),
                    }
                },
            ));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(api::SQL_CONTENT_TYPE),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                body,
            )
                .into_response()
        }
        Ok(Err(e)) => {
            let status = status_of(&e);
            tracing::warn!(target: REST_LOG, "converter: POST /convert upload {} -> {status}: {}; upload deleted", request.upload_id, escape(&e.to_string(), SHOWN));
            error(status, e.to_string())
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the conversion stopped unexpectedly",
        ),
    }
}

/// A `/convert` or `/preview` body (`route`) read: the request, and the
/// conversion's options it gives; or the 400 answer that says what is
/// wrong with it.
fn read_request(route: &str, body: &[u8]) -> Result<(ConvertRequest, Options), Box<Response>> {
    let refuse = |message: String| {
        tracing::warn!(target: REST_LOG, "converter: POST {route} -> 400: {}", escape(&message, SHOWN));
        Box::new(error(StatusCode::BAD_REQUEST, message))
    };
    let request: ConvertRequest =
        serde_json::from_slice(body).map_err(|e| refuse(bad_request_body(body, &e)))?;
    if !api::is_upload_id(&request.upload_id) {
        return Err(refuse(bad_id(&request.upload_id)));
    }
    let options = options_of(&request).map_err(refuse)?;
    Ok((request, options))
}

/// Take upload `id` out of the table (which makes its id single-use) and
/// wait for a conversion slot: the upload, the slot, and the limits of a
/// conversion whose time starts now. Or 404, or 503 when no slot frees in
/// time (the upload is deleted: it is sent again with the retry).
async fn take_upload(
    state: &ConverterState,
    route: &str,
    id: &str,
) -> Result<(Upload, tokio::sync::OwnedSemaphorePermit, Limits), Response> {
    let Some(upload) = state.uploads().remove(id) else {
        tracing::warn!(target: REST_LOG, "converter: POST {route} -> 404: unknown upload {id}");
        return Err(error(StatusCode::NOT_FOUND, unknown_id(id)));
    };
    let waited = tokio::time::timeout(
        state.config.queue_timeout,
        state.conversions.clone().acquire_owned(),
    )
    .await;
    let permit = match waited {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) => {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the converter is stopping",
            ));
        }
        Err(_) => {
            tracing::warn!(target: REST_LOG, "converter: POST {route} upload {id} -> 503: no conversion slot within {} s; upload deleted", state.config.queue_timeout.as_secs_f64());
            return Err(queue_full(state));
        }
    };
    let limits = Limits {
        deadline: Deadline::after(state.config.conversion_timeout),
        ..state.config.limits
    };
    Ok((upload, permit, limits))
}

/// Wait for what the conversion's thread reports, but not past its
/// deadline (and a moment): reading checks the deadline between rows, but
/// calamine opens an `.xls` or `.ods` in one call, and the answer does not
/// wait for that.
async fn by_deadline<T, E>(
    limits: &Limits,
    report: impl Future<Output = Result<Result<T, ConvertError>, E>>,
) -> Result<Result<T, ConvertError>, E> {
    match limits.deadline.at() {
        Some(at) => {
            let grace = tokio::time::Instant::from_std(at) + Duration::from_millis(200);
            match tokio::time::timeout_at(grace, report).await {
                Ok(report) => report,
                Err(_) => Ok(Err(ConvertError::TimedOut(
                    limits.deadline.limit().unwrap_or_default(),
                ))),
            }
        }
        None => report.await,
    }
}

/// The conversion's options as a request gives them, checked.
fn options_of(request: &ConvertRequest) -> Result<Options, String> {
    let options = Options {
        batch: request.batch,
        create_table: request.create_table,
        sheets: request
            .sheet
            .iter()
            .chain(&request.sheets)
            .cloned()
            .collect(),
        header_row: request.header_row,
        no_inference: request.no_inference,
        types: match request.types.as_deref().map(crate::shape::parse_types) {
            None => Vec::new(),
            Some(Ok(types)) => types,
            Some(Err(message)) => return Err(format!("types: {message}")),
        },
        dialect: request.dialect,
        table: request.table.clone(),
        if_exists: request.if_exists,
    };
    options.validate()?;
    Ok(options)
}

/// `POST /preview`: read an upload as `/convert` would, and answer what it
/// would make of the chosen sheets ([`crate::preview`]) instead of the
/// script. The upload is used up, as by `/convert`: the page sends the
/// workbook again with the choices it made.
async fn preview(State(state): State<Arc<ConverterState>>, body: Bytes) -> Response {
    let (request, options) = match read_request(api::PREVIEW, &body) {
        Ok(read) => read,
        Err(answer) => return *answer,
    };
    let id = request.upload_id.clone();
    if request.into.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "a preview loads nothing: send into to /convert, not to /preview",
        );
    }
    let (upload, permit, limits) = match take_upload(&state, api::PREVIEW, &id).await {
        Ok(taken) => taken,
        Err(answer) => return answer,
    };
    let read = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let file =
            std::fs::File::open(&upload.path).map_err(|e| ConvertError::Read(e.to_string()))?;
        crate::preview::preview(BufReader::new(file), &options, &limits)
    });
    let done = by_deadline(&limits, read).await;
    match done {
        Ok(Ok(preview)) => {
            tracing::info!(target: REST_LOG, "converter: POST /preview upload {id} -> 200 OK, {} of {} sheets previewed; upload deleted", preview.sheets.len(), preview.sheet_names.len());
            ([(header::CACHE_CONTROL, "no-store")], axum::Json(preview)).into_response()
        }
        Ok(Err(e)) => {
            let status = status_of(&e);
            tracing::warn!(target: REST_LOG, "converter: POST /preview upload {id} -> {status}: {}; upload deleted", escape(&e.to_string(), SHOWN));
            error(status, e.to_string())
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the preview stopped unexpectedly",
        ),
    }
}

/// `into`: the target of a load, if the operator's `--allow-into` lists
/// every host it would reach; else the status and the reason.
fn allowed_target(allow: &[String], url: &str) -> Result<Target, (StatusCode, String)> {
    let target: Target = url
        .parse()
        .map_err(|e: crate::load::BadTarget| (StatusCode::BAD_REQUEST, e.to_string()))?;
    if let Target::Sqlite(_) = target {
        return Err((
            StatusCode::FORBIDDEN,
            "the converter does not load into SQLite files (a file on the converter's machine); \
             load with the client's --offline"
                .to_owned(),
        ));
    }
    if allow.is_empty() {
        return Err((
            StatusCode::FORBIDDEN,
            "this converter loads into no database: its operator allows hosts with --allow-into"
                .to_owned(),
        ));
    }
    let hosts = target
        .hosts()
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("{target}: {e}")))?;
    match hosts.iter().find(|h| !allow.contains(h)) {
        Some(refused) => Err((
            StatusCode::FORBIDDEN,
            format!(
                "this converter does not load into {refused:?}: its --allow-into lists {}",
                allow
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        None => Ok(target),
    }
}

/// `/convert` with `into`: read the workbook and load it into the database
/// on a blocking thread, holding the conversion slot, then answer with what
/// was loaded (JSON), or the error.
async fn load_upload(
    upload: Upload,
    request: ConvertRequest,
    options: Options,
    limits: Limits,
    target: Target,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Response {
    let id = request.upload_id.clone();
    let shown = target.to_string();
    let done = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let opened = open_upload(&upload, &request, &options, &limits);
        let load = LoadOptions {
            batch: options.batch,
            if_exists: options.if_exists.unwrap_or_default(),
        };
        let loaded =
            opened.and_then(|conversion| crate::load::load(conversion, &target, load, &mut |_| {}));
        drop(upload);
        loaded
    })
    .await;
    match done {
        Ok(Ok(loaded)) => {
            tracing::info!(target: REST_LOG, "converter: POST /convert upload {id} -> 200 OK, {} rows loaded into {}; upload deleted", loaded.rows(), escape(&shown, SHOWN));
            axum::Json(loaded).into_response()
        }
        Ok(Err(e)) => {
            let status = status_of(&e);
            tracing::warn!(target: REST_LOG, "converter: POST /convert upload {id} -> {status}: {}; upload deleted", escape(&e.to_string(), SHOWN));
            error(status, e.to_string())
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the load stopped unexpectedly",
        ),
    }
}

/// Open an upload's workbook and read its sheets (blocking).
fn open_upload(
    upload: &Upload,
    request: &ConvertRequest,
    options: &Options,
    limits: &Limits,
) -> Result<Conversion<BufReader<std::fs::File>>, ConvertError> {
    let file = std::fs::File::open(&upload.path).map_err(|e| ConvertError::Read(e.to_string()))?;
    Conversion::open(
        BufReader::new(file),
        request.file_name.as_deref(),
        options,
        limits,
    )
}

/// The blocking part of `/convert`: read the workbook, then write the script
/// into `writer`.
fn convert_upload(
    upload: Upload,
    id: &str,
    request: &ConvertRequest,
    options: &Options,
    limits: &Limits,
    ready: oneshot::Sender<Result<Ready, ConvertError>>,
    writer: ChannelWriter,
) {
    let opened = open_upload(&upload, request, options, limits);
    let conversion = match opened {
        Ok(conversion) => conversion,
        Err(e) => {
            drop(upload);
            let _ = ready.send(Err(e));
            return;
        }
    };
    let tables = conversion
        .tables()
        .iter()
        .filter(|t| !t.columns.is_empty())
        .count();
    let summary = format!(
        "{}: {tables} table{}",
        conversion.format(),
        if tables == 1 { "" } else { "s" }
    );
    let script_name = conversion.script_name();
    if ready
        .send(Ok(Ready {
            script_name,
            summary,
        }))
        .is_err()
    {
        return; // the request is gone; dropping `upload` deletes the file
    }
    // The sender stays here after the writer is done: the body ends cleanly
    // only when told the script is complete.
    let chunks = writer.chunks.clone();
    match conversion.write(writer) {
        Ok((writer, done)) => {
            drop(upload);
            tracing::info!(target: REST_LOG, "converter: upload {id} converted ({} rows, {} warnings) and deleted", done.rows, done.warnings);
            let _ = writer.send(Piece::End);
        }
        Err(e) => {
            drop(upload);
            let e = match e {
                ConvertError::Write(e) if e.kind() == io::ErrorKind::TimedOut => {
                    ConvertError::TimedOut(limits.deadline.limit().unwrap_or_default())
                }
                e => e,
            };
            tracing::warn!(target: REST_LOG, "converter: upload {id} failed mid-script ({}); deleted", escape(&e.to_string(), SHOWN));
            // Without waiting: a client that does not read is not told.
            let _ = chunks.try_send(Piece::Failed(io::Error::other(e.to_string())));
        }
    }
}

/// Writes the script into the response's channel, waiting while the client
/// reads slower than the script is made (back-pressure) but not past the
/// conversion's deadline, failing once the client is gone.
struct ChannelWriter {
    chunks: mpsc::Sender<Piece>,
    deadline: Deadline,
    runtime: tokio::runtime::Handle,
}

impl ChannelWriter {
    fn send(&self, piece: Piece) -> io::Result<()> {
        let sent = match self.deadline.at() {
            Some(at) => self.runtime.block_on(async {
                tokio::time::timeout_at(at.into(), self.chunks.send(piece)).await
            }),
            None => Ok(self.chunks.blocking_send(piece)),
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read the script before the conversion's deadline",
            )),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.send(Piece::Script(Bytes::copy_from_slice(buf)))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

//! The server: an HTTP JSON API in front of the database (axum).
//!
//! | request | answer |
//! |---|---|
//! | `GET /alunos?situacao=&ingresso_apos=&nome=` | 200, the students that pass every filter given |
//! | `GET /alunos/{matricula}` | 200, the student; 404 |
//! | `POST /alunos` with a student, or an array of them | 201 (and `Location`); 409 if a matrícula exists; 422 if a field is invalid; an array is inserted whole or not at all |
//! | `PATCH /alunos/{matricula}` with some of `nome`, `idade`, `ingresso`, `situacao` | 200, the student as it is now; 404; 422 |
//! | `PATCH /alunos?nome=Pedro[&matricula=M][&todos=true]` with `{"nome": "Carlos"}` | 200, `{"changed": n, "rows": [...]}`; 404; 409 if several students have the name and neither `matricula` nor `todos` says which |
//! | `DELETE /alunos/{matricula}` | 200, the deleted student; 404 |
//!
//! The server's `--help` lists the same ([`HELP_ROUTES`]).
//!
//! Every error is `{"error": "<sentence>"}` (plus `"matches"` for an
//! ambiguous rename). A malformed request (bad JSON, a matrícula that is not
//! a number, an unknown query parameter) is 400; a body over [`MAX_BODY`] is
//! 413; a body that stops arriving midway is 408.
//!
//! SQLite calls block, so each request runs its database work on Tokio's
//! blocking thread pool, with a connection from a small pool ([`Database`]).
//! The file is in WAL mode: readers do not wait for the writer, and writers
//! take turns through SQLite's own lock (see [`crate::repo`]).
//!
//! Connections are served by [`common::serve::http::serve_router`], which
//! holds every client to the server's [`Limits`]: a cap on connections (503
//! beyond it), a time to send the request headers, a time between two
//! pieces of a request body. What is this API's own: the body size limit,
//! a sentence for each limit a request meets, and peer text escaped in the
//! log lines.

use crate::aluno::{Aluno, AlunoInput, Filter, Patch, PatchInput, Situacao};
use crate::repo::{RepoError, Repository, Which};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use common::escape::{Escaped, SHOWN};
use common::serve::Limits;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// The routes, their status codes and a `curl` example, as the server's
/// `--help` prints them below its flags.
pub const HELP_ROUTES: &str = r#"Routes (JSON bodies; every error answer is {"error": "<sentence>"}):
  GET    /alunos?situacao=S&ingresso_apos=YEAR&nome=NAME   (every filter optional)
         200 the students that pass every filter given
  GET    /alunos/{matricula}
         200 the student; 404 nobody has the matricula
  POST   /alunos   a student, or an array of them (stored whole or not at all)
         201 stored (Location: /alunos/{matricula}); 409 the matricula exists;
         422 a field is invalid
  PATCH  /alunos/{matricula}   some of nome, idade, ingresso, situacao
         200 the student as it is now; 404; 422
  PATCH  /alunos?nome=NAME[&matricula=M | &todos=true]   {"nome": "NEW"}
         200 {"changed": n, "rows": [...]}; 404 nobody has the name;
         409 several have it and neither matricula nor todos says which
  DELETE /alunos/{matricula}
         200 the deleted student; 404

Any request: 400 malformed (bad JSON, an unknown query parameter); 404 no such
route; 405 a method the route does not have; 408 the body stopped arriving;
413 a body over 1 MiB; 415 a body without Content-Type: application/json;
500 the database failed; 503 busy (another program held the database's write
lock for over 5 s, or --max-connections clients are being served).

Example:
  curl -X POST http://127.0.0.1:8010/alunos -H 'content-type: application/json' \
    -d '{"nome":"Maísa","matricula":11280821,"idade":26,"ingresso":2023,"situacao":"Cursando"}'
  curl 'http://127.0.0.1:8010/alunos?situacao=Trancamento'"#;

/// How many SQLite connections the server opens at most. Writes take turns
/// anyway; a few connections let reads go on beside a write.
pub const DEFAULT_CONNECTIONS: usize = 8;

/// The largest request body, in bytes. One student is about 100 bytes of
/// JSON (at most about 550, with a 100-character name), so this is a batch
/// of some 10,000 students: bigger batches go in parts. It is also nginx's
/// default (`client_max_body_size 1m`), and it bounds what one request
/// holds while it is parsed (the bytes, then their JSON values: a few MiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// The database file behind the API, and a pool of open connections to it.
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Repository>>,
    permits: Semaphore,
}

impl Database {
    /// Open (or create) the database at `path`, create the table if it is
    /// missing, check its columns, and switch the file to WAL mode. Fails
    /// here, before the server listens, if the file cannot serve.
    pub fn open(path: impl AsRef<Path>, connections: usize) -> Result<Self, RepoError> {
        let path = path.as_ref().to_owned();
        let first = Repository::open(&path)?;
        first.enable_wal()?;
        Ok(Self {
            path,
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(connections.max(1)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `work` with a connection, on the blocking thread pool. The
    /// connection goes back to the pool afterwards.
    pub async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, RepoError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Repository) -> Result<T, RepoError> + Send + 'static,
    {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| RepoError::Internal(e.to_string()))?;
        let db = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            let pooled = db.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut repo = match pooled {
                Some(repo) => repo,
                None => {
                    // Every connection gets the same settings as the first.
                    let repo = Repository::open_existing(&db.path)?;
                    repo.enable_wal()?;
                    repo
                }
            };
            let result = work(&mut repo);
            if let Ok(mut idle) = db.idle.lock() {
                idle.push(repo);
            }
            result
        })
        .await;
        drop(permit);
        // A panic in `work` would be a bug of ours; the request gets a 500
        // and the server goes on.
        result.unwrap_or_else(|e| {
            Err(RepoError::Internal(format!(
                "the database task failed: {e}"
            )))
        })
    }
}

/// The API's routes over `db`. `body_timeout` is the longest silence inside
/// a request body that the serving side allows (common's body timeout,
/// [`Limits::timeout`]), named in the answer to a body that stalled.
pub fn app(db: Arc<Database>, body_timeout: Duration) -> Router {
    Router::new()
        .route(
            "/alunos",
            get(list_alunos).post(create_alunos).patch(rename_alunos),
        )
        .route(
            "/alunos/{matricula}",
            get(get_aluno).patch(update_aluno).delete(delete_aluno),
        )
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route; try /alunos") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(Extension(BodyTimeout(body_timeout)))
        .with_state(db)
}

/// Serve the API on `listener` with `limits` until `shutdown` is cancelled,
/// then let the requests in flight finish (at most
/// [`common::serve::SHUTDOWN_GRACE`]).
pub async fn run(
    listener: TcpListener,
    db: Arc<Database>,
    limits: &Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = app(db, limits.timeout);
    common::serve::http::serve_router(listener, app, limits, shutdown).await
}

/// An error answer: a status and `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    matches: Option<Vec<Aluno>>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            matches: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        let status = match &e {
            RepoError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RepoError::Duplicate(_)
            | RepoError::Ambiguous { .. }
            | RepoError::NameMismatch { .. } => StatusCode::CONFLICT,
            RepoError::NotFound(_) | RepoError::NoSuchName(_) => StatusCode::NOT_FOUND,
            RepoError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut message = e.to_string();
        let matches = match e {
            RepoError::Ambiguous { matches, .. } => {
                message.push_str(": say which with matricula=, or rename all with todos=true");
                Some(matches)
            }
            _ => None,
        };
        Self {
            status,
            message,
            matches,
        }
    }
}

impl ApiError {
    /// The answer to a body that could not be read as JSON. axum's statuses
    /// are the usual ones (400 for malformed JSON, 415 without
    /// `Content-Type: application/json`, 422 for JSON of the wrong shape);
    /// a body too large or one that stopped arriving gets a sentence that
    /// says which limit it met.
    fn from_json(rejection: JsonRejection, body_timeout: Duration) -> Self {
        if let JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(failed)) =
            &rejection
        {
            if failed.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request body is over the server's limit of {MAX_BODY} bytes; \
                         send a large batch in parts"
                    ),
                );
            }
            // The client went silent in the middle of its body (axum keeps
            // the body's error as the rejection's source).
            if common::serve::http::is_body_timeout(&rejection) {
                return Self::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body stopped arriving: nothing came for {} s \
                         (the server's body timeout)",
                        body_timeout.as_secs_f64()
                    ),
                );
            }
        }
        Self::new(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::bad_request("the matricula in the path must be a whole number")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The message quotes what the client sent (a name, an unknown
        // field): escaped, it cannot forge a log line or colour a terminal.
        let message = Escaped::new(&self.message, SHOWN);
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, "{message}");
        } else if matches!(
            self.status,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ) {
            tracing::warn!(status = %self.status, "refused: {message}");
        } else {
            tracing::info!(status = %self.status, "{message}");
        }
        let body = ErrorBody {
            error: self.message,
            matches: self.matches,
        };
        (self.status, Json(body)).into_response()
    }
}

/// The body of every error answer.
#[derive(Serialize)]
struct ErrorBody {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<Aluno>>,
}

/// `Json` whose rejections are answered as [`ApiError`]s.
struct Body<T>(T);

/// The body timeout, for the sentence that answers a stalled body.
#[derive(Debug, Clone, Copy)]
struct BodyTimeout(Duration);

impl<T, S> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let timeout = request
            .extensions()
            .get::<BodyTimeout>()
            .map_or(common::serve::DEFAULT_TIMEOUT, |t| t.0);
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::from_json(rejection, timeout)),
        }
    }
}

/// `Query` whose rejections are answered as [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
struct Query<T>(T);

/// `Path` whose rejections are answered as [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
struct Matricula<T>(T);

type Db = State<Arc<Database>>;

/// The list filters as the query string brings them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    situacao: Option<String>,
    ingresso_apos: Option<i64>,
    nome: Option<String>,
}

impl TryFrom<ListQuery> for Filter {
    type Error = ApiError;
    fn try_from(q: ListQuery) -> Result<Self, ApiError> {
        let situacao = q
            .situacao
            .as_deref()
            .map(str::parse::<Situacao>)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Filter {
            situacao,
            ingresso_apos: q.ingresso_apos,
            nome: q.nome,
        })
    }
}

async fn list_alunos(
    State(db): Db,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Aluno>>, ApiError> {
    let filter = Filter::try_from(q)?;
    Ok(Json(db.run(move |repo| repo.list(&filter)).await?))
}

async fn get_aluno(State(db): Db, Matricula(m): Matricula<i64>) -> Result<Json<Aluno>, ApiError> {
    db.run(move |repo| repo.get(m)?.ok_or(RepoError::NotFound(m)))
        .await
        .map(Json)
        .map_err(ApiError::from)
}

/// One student, or an array inserted in one transaction.
async fn create_alunos(State(db): Db, Body(body): Body<Value>) -> Result<Response, ApiError> {
    let one = !body.is_array();
    let items = match body {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut alunos = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let where_ = if one {
            String::new()
        } else {
            format!("item {i}: ")
        };
        let input: AlunoInput = serde_path_to_error::deserialize(item)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{where_}{e}")))?;
        let aluno = Aluno::try_from(input)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{where_}{e}")))?;
        alunos.push(aluno);
    }
    let alunos = db
        .run(move |repo| repo.insert_all(&alunos).map(|_| alunos))
        .await?;
    let response = if one {
        let location = format!("/alunos/{}", alunos[0].matricula);
        let mut r = (StatusCode::CREATED, Json(&alunos[0])).into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, value);
        }
        r
    } else {
        (StatusCode::CREATED, Json(&alunos)).into_response()
    };
    Ok(response)
}

async fn update_aluno(
    State(db): Db,
    Matricula(m): Matricula<i64>,
    Body(input): Body<PatchInput>,
) -> Result<Json<Aluno>, ApiError> {
    let patch = Patch::try_from(input).map_err(RepoError::from)?;
    Ok(Json(db.run(move |repo| repo.update(m, &patch)).await?))
}

/// Which students a rename by name selects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameQuery {
    nome: String,
    matricula: Option<i64>,
    #[serde(default)]
    todos: bool,
}

/// The body of a rename: only the name may change for several students.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameBody {
    nome: String,
}

async fn rename_alunos(
    State(db): Db,
    Query(q): Query<RenameQuery>,
    Body(body): Body<RenameBody>,
) -> Result<Response, ApiError> {
    let which = match (q.matricula, q.todos) {
        (Some(_), true) => {
            return Err(ApiError::bad_request(
                "give matricula= or todos=true, not both",
            ));
        }
        (Some(m), false) => Which::Matricula(m),
        (None, true) => Which::All,
        (None, false) => Which::Unique,
    };
    let renamed = db
        .run(move |repo| repo.rename(&q.nome, &body.nome, which))
        .await?;
    Ok(Json(renamed).into_response())
}

async fn delete_aluno(
    State(db): Db,
    Matricula(m): Matricula<i64>,
) -> Result<Json<Aluno>, ApiError> {
    Ok(Json(db.run(move |repo| repo.delete(m)).await?))
}

//! The client's two ways to the data: straight to the file (`--db`), or
//! through the server (`--url`). [`Store`] has one method per operation and
//! answers the same in both ways, errors included, so everything above it
//! (the commands, the exercise) prints the same output whichever is used.

use crate::aluno::{Aluno, Filter, Patch, Situacao, fold};
use crate::repo::{Age, Renamed, RepoError, Repository, Which};
use common::escape::{SHOWN, escape};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the client waits for the server to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the client waits for a whole answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an operation failed, with the same words in file and HTTP mode.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request was refused (invalid value, unknown student, duplicate
    /// matrícula...): the repository's sentence, or the server's, which is
    /// the same sentence.
    #[error("{0}")]
    Refused(String),
    /// A rename by name matched several students.
    #[error("{message}")]
    Ambiguous {
        message: String,
        matches: Vec<Aluno>,
    },
    /// The database file failed (file mode).
    #[error(transparent)]
    Database(RepoError),
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the server failed ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("the server's answer is not what this client expects: {0}")]
    BadResponse(String),
    #[error("{0}")]
    Usage(String),
}

impl From<RepoError> for ClientError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Ambiguous { nome, matches } => ambiguous(nome, matches),
            e if e.is_refusal() => ClientError::Refused(e.to_string()),
            e => ClientError::Database(e),
        }
    }
}

/// The refusal of a rename by a shared name, with what to do about it.
fn ambiguous(nome: String, matches: Vec<Aluno>) -> ClientError {
    let base = RepoError::Ambiguous { nome, matches };
    let message = format!("{base}. Choose one with --matricula, or rename all of them with --all");
    let RepoError::Ambiguous { matches, .. } = base else {
        unreachable!("built as Ambiguous just above")
    };
    ClientError::Ambiguous { message, matches }
}

impl ClientError {
    /// True when the request was refused, as opposed to failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ClientError::Refused(_) | ClientError::Ambiguous { .. }
        )
    }
}

/// Where the data is.
pub enum Store {
    File(FileStore),
    Http(HttpStore),
}

impl Store {
    /// The database file at `path` (opened at the first operation).
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Store::File(FileStore {
            path: path.into(),
            repo: None,
        })
    }

    /// A repository already open (an in-memory one, say), as a file store.
    pub fn repository(repo: Repository) -> Self {
        Store::File(FileStore {
            path: repo
                .path()
                .map_or_else(|| PathBuf::from(":memory:"), Path::to_owned),
            repo: Some(repo),
        })
    }

    /// The server at `url` (`http://HOST:PORT`, or with a path prefix).
    pub fn http(url: &str) -> Result<Self, ClientError> {
        HttpStore::new(url).map(Store::Http)
    }

    /// Get ready for a command that writes (`write`) or only reads: a file
    /// is opened now, created if the command writes. Each operation also
    /// does this itself; calling it first makes a command that starts by
    /// reading but then writes (the exercise) create the file.
    pub fn prepare(&mut self, write: bool) -> Result<(), ClientError> {
        match self {
            Store::File(f) => f.open(write).map(|_| ()),
            Store::Http(_) => Ok(()),
        }
    }

    /// The students that pass `filter`.
    pub async fn list(&mut self, filter: &Filter) -> Result<Vec<Aluno>, ClientError> {
        match self {
            Store::File(f) => Ok(f.read()?.list(filter)?),
            Store::Http(h) => {
                let rows: Vec<Row> = h.call(Method::GET, "alunos", Some(filter), None).await?;
                Ok(rows.into_iter().map(Aluno::from).collect())
            }
        }
    }

    /// The student with this matrícula, if any.
    pub async fn get(&mut self, matricula: i64) -> Result<Option<Aluno>, ClientError> {
        match self {
            Store::File(f) => Ok(f.read()?.get(matricula)?),
            Store::Http(h) => {
                let path = format!("alunos/{matricula}");
                match h
                    .call_raw::<Row, _>(Method::GET, &path, None::<&()>, None)
                    .await
                {
                    Ok(row) => Ok(Some(row.into())),
                    Err(HttpError::Status(StatusCode::NOT_FOUND, _)) => Ok(None),
                    Err(e) => Err(h.error(e, None)),
                }
            }
        }
    }

    /// Insert one student.
    pub async fn insert(&mut self, aluno: &Aluno) -> Result<Aluno, ClientError> {
        match self {
            Store::File(f) => {
                f.write()?.insert(aluno)?;
                Ok(aluno.clone())
            }
            Store::Http(h) => h
                .call::<Row, _>(Method::POST, "alunos", None::<&()>, Some(json(aluno)?))
                .await
                .map(Aluno::from),
        }
    }

    /// Insert students in one transaction: all or none.
    pub async fn insert_all(&mut self, alunos: &[Aluno]) -> Result<Vec<Aluno>, ClientError> {
        match self {
            Store::File(f) => {
                f.write()?.insert_all(alunos)?;
                Ok(alunos.to_vec())
            }
            Store::Http(h) => {
                let rows: Vec<Row> = h
                    .call(Method::POST, "alunos", None::<&()>, Some(json(&alunos)?))
                    .await?;
                Ok(rows.into_iter().map(Aluno::from).collect())
            }
        }
    }

    /// Change some fields of one student.
    pub async fn update(&mut self, matricula: i64, patch: &Patch) -> Result<Aluno, ClientError> {
        match self {
            Store::File(f) => Ok(f.write()?.update(matricula, patch)?),
            Store::Http(h) => {
                let path = format!("alunos/{matricula}");
                h.call::<Row, _>(Method::PATCH, &path, None::<&()>, Some(json(patch)?))
                    .await
                    .map(Aluno::from)
            }
        }
    }

    /// Rename the students called `from`; `which` says which of them.
    pub async fn rename(
        &mut self,
        from: &str,
        to: &str,
        which: Which,
    ) -> Result<Renamed, ClientError> {
        match self {
            Store::File(f) => Ok(f.write()?.rename(from, to, which)?),
            Store::Http(h) => {
                let mut query = vec![("nome", from.to_owned())];
                match which {
                    Which::Unique => {}
                    Which::All => query.push(("todos", "true".into())),
                    Which::Matricula(m) => query.push(("matricula", m.to_string())),
                }
                let body = serde_json::json!({ "nome": to });
                match h
                    .call_raw(Method::PATCH, "alunos", Some(&query), Some(body))
                    .await
                {
                    Ok(renamed) => Ok(renamed),
                    Err(e) => Err(h.error(e, Some(from))),
                }
            }
        }
    }

    /// Delete one student; returns who was deleted.
    pub async fn delete(&mut self, matricula: i64) -> Result<Aluno, ClientError> {
        match self {
            Store::File(f) => Ok(f.write()?.delete(matricula)?),
            Store::Http(h) => {
                let path = format!("alunos/{matricula}");
                h.call::<Row, _>(Method::DELETE, &path, None::<&()>, None)
                    .await
                    .map(Aluno::from)
            }
        }
    }

    /// The age of every student with this name.
    pub async fn ages(&mut self, nome: &str) -> Result<Vec<Age>, ClientError> {
        match self {
            Store::File(f) => Ok(f.read()?.ages(nome)?),
            Store::Http(_) => {
                let filter = Filter {
                    nome: Some(nome.to_owned()),
                    ..Filter::default()
                };
                let named = self.list(&filter).await?;
                if named.is_empty() {
                    return Err(RepoError::NoSuchName(nome.trim().to_owned()).into());
                }
                Ok(named
                    .into_iter()
                    .map(|a| Age {
                        nome: a.nome,
                        matricula: a.matricula,
                        idade: a.idade,
                    })
                    .collect())
            }
        }
    }
}

/// A student as the server sends it, read as the repository reads a row
/// of the file: any program may have written the row, so its name is taken
/// as it is (control characters included; they are escaped when printed),
/// and so is a situação that is none of the four ([`Situacao::Other`]),
/// rather than refused as [`Aluno`]'s checks refuse them on input. Both
/// ways to the data then show the same rows. (The server's `"warning"` is
/// [`Aluno::warning`] again, so it is not read.)
#[derive(Deserialize)]
struct Row {
    nome: String,
    matricula: i64,
    idade: u8,
    ingresso: u16,
    situacao: String,
}

impl From<Row> for Aluno {
    fn from(row: Row) -> Self {
        Aluno {
            nome: row.nome,
            matricula: row.matricula,
            idade: row.idade,
            ingresso: row.ingresso,
            situacao: Situacao::from_stored(&row.situacao),
        }
    }
}

/// The database file, opened at the first operation: a read needs the file
/// and its table to exist; a write creates them (as `Escrever.py` does).
pub struct FileStore {
    path: PathBuf,
    repo: Option<Repository>,
}

impl FileStore {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&mut self) -> Result<&mut Repository, ClientError> {
        self.open(false)
    }

    fn write(&mut self) -> Result<&mut Repository, ClientError> {
        self.open(true)
    }

    fn open(&mut self, write: bool) -> Result<&mut Repository, ClientError> {
        let repo = match self.repo.take() {
            Some(repo) => repo,
            None if write => Repository::open(&self.path)?,
            None => Repository::open_existing(&self.path).map_err(|e| match e {
                RepoError::NoTable => ClientError::Usage(format!(
                    "{} has no table Alunos (a command that writes creates it)",
                    self.path.display()
                )),
                RepoError::NoDatabase(p) => ClientError::Usage(format!(
                    "{} does not exist (a command that writes creates it)",
                    p.display()
                )),
                e => e.into(),
            })?,
        };
        Ok(self.repo.insert(repo))
    }
}

/// The server's API, over HTTP.
pub struct HttpStore {
    base: Url,
    http: reqwest::Client,
}

/// What went wrong with one request, before it is put in words.
enum HttpError {
    /// The server answered with an error status and this body.
    Status(StatusCode, serde_json::Value),
    Other(ClientError),
}

impl From<ClientError> for HttpError {
    fn from(e: ClientError) -> Self {
        HttpError::Other(e)
    }
}

impl HttpStore {
    /// A client for the API at `url`.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let mut base = Url::parse(url)
            .map_err(|e| ClientError::Usage(format!("{url:?} is not a URL: {e}")))?;
        if base.scheme() != "http" {
            return Err(ClientError::Usage(format!(
                "{url} is not an http:// URL (this client speaks plain HTTP to sqlite-students-server)"
            )));
        }
        // `join` replaces the last path segment unless the path ends in `/`.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ClientError::Usage(format!("cannot make an HTTP client: {e}")))?;
        Ok(Self { base, http })
    }

    /// The API's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// One request; a 2xx answer is parsed as `T`, an error put in words.
    async fn call<T: DeserializeOwned, Q: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: Option<&Q>,
        body: Option<serde_json::Value>,
    ) -> Result<T, ClientError> {
        self.call_raw(method, path, query, body)
            .await
            .map_err(|e| self.error(e, None))
    }

    /// One request; a 2xx answer is parsed as `T`.
    async fn call_raw<T: DeserializeOwned, Q: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: Option<&Q>,
        body: Option<serde_json::Value>,
    ) -> Result<T, HttpError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ClientError::Usage(format!("bad path {path}: {e}")))?;
        let mut request = self.http.request(method, url);
        if let Some(query) = query {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| {
                // serde's message may quote the answer: shown escaped, cut.
                let e = escape(&e.to_string(), SHOWN).into_owned();
                HttpError::Other(ClientError::BadResponse(format!("{status}: {e}")))
            })
        } else {
            let body = serde_json::from_slice(&bytes).unwrap_or_else(
                |_| serde_json::json!({ "error": String::from_utf8_lossy(&bytes).trim() }),
            );
            Err(HttpError::Status(status, body))
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> HttpError {
        // reqwest's own message is generic ("error sending request"); the
        // root cause says what happened ("Connection refused").
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            reason = inner.to_string();
            source = inner.source();
        }
        if e.is_timeout() {
            reason = "no answer in time".into();
        }
        HttpError::Other(ClientError::Unreachable {
            url: self.base.to_string(),
            reason: escape(&reason, SHOWN).into_owned(),
        })
    }

    /// Put a failed request in words. `renaming` is the name of a rename,
    /// whose 409 may carry the students that share it.
    fn error(&self, e: HttpError, renaming: Option<&str>) -> ClientError {
        match e {
            HttpError::Other(e) => e,
            HttpError::Status(status, body) => {
                // The server's sentence goes to the user's terminal: control
                // characters escaped, and cut, whatever the server sends.
                let message = body
                    .get("error")
                    .and_then(|m| m.as_str())
                    .map_or("(no message)".into(), |m| escape(m, SHOWN).into_owned());
                let matches = body
                    .get("matches")
                    .and_then(|m| serde_json::from_value::<Vec<Row>>(m.clone()).ok())
                    .map(|rows| rows.into_iter().map(Aluno::from).collect());
                match (renaming, matches) {
                    (Some(nome), Some(matches)) if status == StatusCode::CONFLICT => {
                        ambiguous(nome.trim().to_owned(), matches)
                    }
                    _ if status.is_client_error() => ClientError::Refused(message),
                    _ => ClientError::Server {
                        status: status.as_u16(),
                        message,
                    },
                }
            }
        }
    }
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, ClientError> {
    serde_json::to_value(value).map_err(|e| ClientError::Usage(format!("cannot encode JSON: {e}")))
}

/// True if `nome` is `other`, ignoring case (as the repository compares).
pub fn same_name(nome: &str, other: &str) -> bool {
    fold(nome) == fold(other)
}

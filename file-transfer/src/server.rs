//! The server: log clients in, then list, send and receive files.
//!
//! Every connection gets its own task, so many clients are served at once.
//! A connection goes through two states: before login, the only frame
//! accepted is `AUTH` (anything else is refused and the connection closed);
//! after login, any number of `LIST`, `GET` and `PUT` requests, each answered
//! in full before the next is read.
//!
//! A refusal that leaves the stream in step (no such file, a bad name, a
//! digest mismatch) is answered with an `ERROR` frame and the connection goes
//! on; one that does not (a malformed frame, a timeout, a failed login) is
//! answered and the connection closed. The server never panics on input and
//! always keeps serving the other connections.
//!
//! [`run_raw`] is the slide's server instead: no framing, no login; each
//! connection receives the bytes of one file and is closed.
//!
//! Both accept connections through [`common::serve::serve`]: at most
//! `--max-connections` at once (one more gets an `ERROR 503` frame, or
//! nothing in the raw protocol, whose client would save it as the file), and
//! a peer that stops reading is dropped after `--timeout`. Before login a
//! client is held to more: its frames may be at most
//! [`wire::MAX_LOGIN_FRAME`] bytes, refused from the header, and the whole
//! login must be done within `--timeout`, however its bytes trickle in.
//! Every string a client sends is escaped ([`common::escape`]) before it
//! reaches the log or the transcript.

use crate::MESSAGE_SHOWN;
use crate::auth::{self, Accounts, Backoff, Credentials};
use crate::conn::{ConnError, FrameReader, FrameWriter, Incoming};
use crate::disk;
use crate::names::MAX_NAME;
use crate::store::{Store, StoreError, Upload};
use crate::wire::{self, Digest, Message, WireError, code, hex};
use common::escape::{Escaped, SHOWN};
use common::serve::{Admitted, Limits, serve};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// After a refusal that closes the connection, how long to keep reading (and
/// discarding) so the peer reads our reason rather than a reset.
const LINGER: Duration = Duration::from_secs(2);

/// The default chunk size: 256 KiB (see the benchmark in the README).
pub const DEFAULT_CHUNK: usize = 256 * 1024;

/// Where the transcript goes: one call per line.
pub use common::cli::Transcript;

/// How the server behaves.
pub struct ServerConfig {
    /// Who may log in.
    pub accounts: Accounts,
    /// Bytes of file content per data frame sent.
    pub chunk: usize,
    /// The connection cap, and `timeout`: the longest wait for the next
    /// frame from a client, for a write, and for the whole login.
    pub limits: Limits,
    /// Where the transcript goes (`None`: nowhere).
    pub transcript: Option<Transcript>,
}

struct Shared {
    store: Arc<Store>,
    accounts: Accounts,
    chunk: usize,
    timeout: Duration,
    backoff: Mutex<Backoff>,
    logins: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    transcript: Option<Transcript>,
    shutdown: CancellationToken,
}

impl Shared {
    fn say(&self, line: impl FnOnce() -> String) {
        if let Some(t) = &self.transcript {
            t(line());
        }
    }

    /// A place among the [`auth::LOGINS_AT_ONCE`] logins of `ip` checked or
    /// held back at once, so that parallel connections do not multiply an
    /// attacker's guesses; `None` when they are all taken.
    fn login_slot(&self, ip: IpAddr) -> Option<OwnedSemaphorePermit> {
        let slots = {
            // The map stays consistent whatever a panicking holder did.
            let mut logins = self
                .logins
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Forget the addresses nobody is logging in from.
            logins.retain(|_, slots| Arc::strong_count(slots) > 1);
            Arc::clone(
                logins
                    .entry(ip)
                    .or_insert_with(|| Arc::new(Semaphore::new(auth::LOGINS_AT_ONCE))),
            )
        };
        slots.try_acquire_owned().ok()
    }
}

/// How a request failed.
#[derive(Debug)]
enum Failure {
    /// Tell the client; the stream is still in step, so carry on.
    Refuse(u16, String),
    /// Tell the client, then close the connection.
    Close(u16, String),
    /// The connection is gone (closed, reset): nobody to tell.
    Lost(String),
}

impl From<ConnError> for Failure {
    fn from(e: ConnError) -> Self {
        match e {
            ConnError::Timeout(d) => Failure::Close(
                code::TIMEOUT,
                format!("timed out: nothing received for {} s", d.as_secs_f64()),
            ),
            ConnError::Wire(e) => Failure::Close(code::BAD_REQUEST, format!("invalid frame: {e}")),
            ConnError::Io(e) => Failure::Lost(e.to_string()),
            ConnError::WriteTimeout(_) | ConnError::Truncated => Failure::Lost(e.to_string()),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Refuse(e.code(), e.to_string())
    }
}

fn shutting_down() -> Failure {
    Failure::Close(code::UNAVAILABLE, "the server is shutting down".into())
}

/// Run blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done.map_err(Failure::from),
        Err(e) => Err(Failure::Close(code::SERVER, format!("internal error: {e}"))),
    }
}

/// A connection the server admitted, and its two halves.
type Socket = Admitted<TcpStream>;
type Reader = FrameReader<ReadHalf<Socket>>;
type Writer = FrameWriter<WriteHalf<Socket>>;

/// Serve `store` to clients from `listener` until `shutdown` is cancelled,
/// then give open connections up to 5 s to finish.
pub async fn run(
    listener: TcpListener,
    store: Arc<Store>,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let shared = Arc::new(Shared {
        store,
        accounts: config.accounts,
        chunk: config.chunk.clamp(1, wire::MAX_CHUNK),
        timeout: config.limits.timeout,
        backoff: Mutex::new(Backoff::default()),
        logins: Mutex::new(HashMap::new()),
        transcript: config.transcript,
        shutdown: shutdown.clone(),
    });
    let busy = Message::error(
        code::UNAVAILABLE,
        format!(
            "the server is at its connection limit ({} connections); try again later",
            config.limits.max_connections
        ),
    )
    .encode()
    .unwrap_or_default();
    serve(listener, &config.limits, &busy, shutdown, |io, peer| {
        serve_connection(io, peer, Arc::clone(&shared))
    })
    .await
}

/// A client's string as the log and transcript show it.
fn shown(text: &str) -> Escaped<'_> {
    Escaped::new(text, SHOWN)
}

/// A file name as the log and transcript show it: whole (names are at most
/// [`MAX_NAME`] bytes), escaped.
fn named(name: &str) -> Escaped<'_> {
    Escaped::new(name, MAX_NAME)
}

/// One of our messages (which may quote a client) as the log and
/// transcript show it.
fn sentence(text: &str) -> Escaped<'_> {
    Escaped::new(text, MESSAGE_SHOWN)
}

async fn serve_connection(io: Socket, peer: SocketAddr, shared: Arc<Shared>) {
    info!(%peer, "connected");
    shared.say(|| format!("Conectado por: {peer}"));
    // The login's time starts now: the greeting is part of it.
    let login_deadline = Instant::now() + shared.timeout;
    let (read, write) = tokio::io::split(io);
    let mut reader = FrameReader::new(read, shared.timeout);
    let mut writer = FrameWriter::new(write, shared.timeout);
    let mut session = Session {
        peer,
        user: None,
        shared: &shared,
        reader: &mut reader,
        writer: &mut writer,
    };
    match session.run(login_deadline).await {
        Ok(()) => info!(%peer, "disconnected"),
        Err(Failure::Refuse(code, message) | Failure::Close(code, message)) => {
            warn!(%peer, code, message = %sentence(&message), "closing the connection");
            shared.say(|| format!("{peer}: refused ({code}): {}", sentence(&message)));
            if writer.send(&Message::error(code, message)).await.is_ok() {
                let _ = writer.shutdown().await;
                reader.drain(LINGER).await;
            }
        }
        Err(Failure::Lost(reason)) => info!(%peer, %reason, "connection lost"),
    }
    shared.say(|| format!("Conexão fechada: {peer}"));
}

struct Session<'a> {
    peer: SocketAddr,
    user: Option<String>,
    shared: &'a Shared,
    reader: &'a mut Reader,
    writer: &'a mut Writer,
}

/// What the client said during the login exchange.
struct Attempt {
    user: String,
    client_nonce: Digest,
    server_nonce: Digest,
    credentials: Credentials,
    proof: Digest,
}

impl Session<'_> {
    async fn run(&mut self, login_deadline: Instant) -> Result<(), Failure> {
        self.login(login_deadline).await?;
        loop {
            let request = tokio::select! {
                () = self.shared.shutdown.cancelled() => return Err(shutting_down()),
                request = self.reader.next() => request?,
            };
            let outcome = match request {
                None => return Ok(()),
                Some(Incoming::Message(Message::List)) => self.list().await,
                Some(Incoming::Message(Message::Get {
                    name,
                    offset,
                    prefix,
                })) => self.get(name, offset, prefix).await,
                Some(Incoming::Message(Message::Put { name, size, resume })) => {
                    self.put(name, size, resume).await
                }
                Some(other) => {
                    return Err(Failure::Close(
                        code::BAD_REQUEST,
                        format!("unexpected {}; expected LIST, GET or PUT", describe(&other)),
                    ));
                }
            };
            match outcome {
                Ok(()) => {}
                Err(Failure::Refuse(code, message)) => {
                    debug!(peer = %self.peer, code, message = %sentence(&message), "refused");
                    let peer = self.peer;
                    self.shared
                        .say(|| format!("{peer}: refused ({code}): {}", sentence(&message)));
                    self.writer.send(&Message::error(code, message)).await?;
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Log the client in, or fail. The exchange with the client (HELLO to
    /// PROOF) must be over by `deadline`, with frames of at most
    /// [`wire::MAX_LOGIN_FRAME`] bytes; then the server verifies, taking
    /// its time on a failure (see [`Backoff`]).
    async fn login(&mut self, deadline: Instant) -> Result<(), Failure> {
        self.reader.limit_frames(Some(wire::MAX_LOGIN_FRAME));
        let timeout = self.shared.timeout;
        let attempt = tokio::select! {
            () = self.shared.shutdown.cancelled() => return Err(shutting_down()),
            attempt = tokio::time::timeout_at(deadline, self.exchange()) => match attempt {
                Ok(attempt) => attempt?,
                Err(_) => return Err(Failure::Close(
                    code::TIMEOUT,
                    format!(
                        "timed out: the login did not finish within {} s",
                        timeout.as_secs_f64()
                    ),
                )),
            },
        };
        self.verify(attempt).await?;
        self.reader.limit_frames(None);
        Ok(())
    }

    /// The client's part of the login: HELLO, AUTH, CHALLENGE, PROOF.
    async fn exchange(&mut self) -> Result<Attempt, Failure> {
        let server_nonce = auth::random::<32>()
            .map_err(|e| Failure::Close(code::SERVER, format!("no randomness: {e}")))?;
        self.writer
            .send(&Message::Hello {
                protocol: wire::PROTOCOL.into(),
                nonce: server_nonce,
            })
            .await?;
        let (user, client_nonce) = match self.login_frame().await? {
            Some(Incoming::Message(Message::Auth { user, nonce })) => (user, nonce),
            None => return Err(Failure::Lost("closed before logging in".into())),
            Some(other) => {
                return Err(Failure::Close(
                    code::UNAUTHORIZED,
                    format!("log in first: expected AUTH, got {}", describe(&other)),
                ));
            }
        };
        let (credentials, _known) = self.shared.accounts.lookup(&user);
        self.writer
            .send(&Message::Challenge {
                iterations: credentials.iterations,
                salt: credentials.salt.clone(),
            })
            .await?;
        let proof = match self.login_frame().await? {
            Some(Incoming::Message(Message::Proof { proof })) => proof,
            None => return Err(Failure::Lost("closed while logging in".into())),
            Some(other) => {
                return Err(Failure::Close(
                    code::UNAUTHORIZED,
                    format!("expected PROOF, got {}", describe(&other)),
                ));
            }
        };
        Ok(Attempt {
            user,
            client_nonce,
            server_nonce,
            credentials,
            proof,
        })
    }

    /// The next frame before login; one over the login limit is refused
    /// with the reason.
    async fn login_frame(&mut self) -> Result<Option<Incoming>, Failure> {
        match self.reader.next().await {
            Ok(frame) => Ok(frame),
            Err(ConnError::Wire(e @ WireError::TooLong { .. })) => Err(Failure::Close(
                code::BAD_REQUEST,
                format!(
                    "invalid frame: {e} bytes before login (log in first: AUTH and PROOF are small)"
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Check the proof: WELCOME, or a refusal after the failure delay.
    async fn verify(&mut self, attempt: Attempt) -> Result<(), Failure> {
        let Attempt {
            user,
            client_nonce,
            server_nonce,
            credentials,
            proof,
        } = attempt;
        let message = auth::auth_message(
            &user,
            &client_nonce,
            &server_nonce,
            credentials.iterations,
            &credentials.salt,
        );
        let ip = self.peer.ip();
        // Held through the check and a failure's delay; a success is
        // answered at once, whatever other connections are paying.
        let Some(_slot) = self.shared.login_slot(ip) else {
            return Err(Failure::Close(
                code::TOO_MANY_LOGINS,
                format!(
                    "too many logins at once from {ip}: at most {} are checked at a time; this one was not checked, try again when one of them ends",
                    auth::LOGINS_AT_ONCE
                ),
            ));
        };
        // An unknown user fails here too, with the same work and answer.
        if auth::verify_proof(&credentials, &message, &proof) {
            if let Ok(mut backoff) = self.shared.backoff.lock() {
                backoff.succeeded(ip);
            }
            self.writer
                .send(&Message::Welcome {
                    signature: auth::server_signature(&credentials, &message),
                })
                .await?;
            info!(peer = %self.peer, user = %shown(&user), "logged in");
            let peer = self.peer;
            self.shared
                .say(|| format!("{peer}: logged in as {}", shown(&user)));
            self.user = Some(user);
            return Ok(());
        }
        let delay = match self.shared.backoff.lock() {
            Ok(mut backoff) => backoff.failed(ip, tokio::time::Instant::now()),
            Err(_) => auth::failure_delay(1),
        };
        warn!(peer = %self.peer, user = %shown(&user), ?delay, "login failed");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = self.shared.shutdown.cancelled() => return Err(shutting_down()),
        }
        Err(Failure::Close(
            code::UNAUTHORIZED,
            format!(
                "login failed for \"{}\": unknown user or wrong password",
                shown(&user)
            ),
        ))
    }

    async fn list(&mut self) -> Result<(), Failure> {
        let store = Arc::clone(&self.shared.store);
        let entries = blocking(move || store.list()).await?;
        for entry in &entries {
            self.writer
                .send(&Message::Entry {
                    name: entry.name.clone(),
                    size: entry.size,
                    modified: entry.modified,
                })
                .await?;
        }
        self.writer.send(&Message::End).await?;
        let peer = self.peer;
        self.shared
            .say(|| format!("{peer}: listed {} file(s)", entries.len()));
        Ok(())
    }

    async fn get(&mut self, name: String, offset: u64, prefix: Digest) -> Result<(), Failure> {
        let store = Arc::clone(&self.shared.store);
        let wanted = name.clone();
        // Open, then hash unless the digest is known (and, to resume, the
        // first `offset` bytes must be the client's).
        let hashing = tokio::task::spawn_blocking(move || {
            let mut readable = store.open_for_reading(&wanted)?;
            let cached = store.cached_digest(&readable);
            let (digest, start) = match cached {
                Some(digest) if offset == 0 => (digest, 0),
                _ => {
                    let within = offset <= readable.size;
                    let (digest, server_prefix) = disk::hash_file(&mut readable.file, offset)
                        .map_err(|source| StoreError::Io {
                            context: format!("cannot read {wanted:?}"),
                            source,
                        })?;
                    store.remember_digest(&readable, digest);
                    let resumable =
                        offset > 0 && within && auth::digests_equal(&server_prefix, &prefix);
                    (digest, if resumable { offset } else { 0 })
                }
            };
            Ok::<_, StoreError>((readable, digest, start))
        });
        let (readable, digest, start) = tokio::select! {
            () = self.shared.shutdown.cancelled() => return Err(shutting_down()),
            done = hashing => match done {
                Ok(done) => done?,
                Err(e) => return Err(Failure::Close(code::SERVER, format!("internal error: {e}"))),
            },
        };
        let size = readable.size;
        self.writer
            .send(&Message::File {
                size,
                digest,
                offset: start,
            })
            .await?;
        let mut source =
            disk::spawn_source(readable.file, start, size - start, self.shared.chunk, true);
        loop {
            let frame = tokio::select! {
                () = self.shared.shutdown.cancelled() => return Err(shutting_down()),
                frame = source.next() => frame,
            };
            match frame {
                None => break,
                Some(Ok(batch)) => self.writer.send_frame(&batch.bytes).await?,
                // The client expects data; an ERROR frame instead tells it
                // why the download stopped, and the stream stays in step.
                Some(Err(e)) => {
                    return Err(Failure::Refuse(
                        code::SERVER,
                        format!("cannot read {name:?}: {e}"),
                    ));
                }
            }
        }
        let peer = self.peer;
        let from = if start > 0 {
            format!(" from byte {start}")
        } else {
            String::new()
        };
        self.shared.say(|| {
            format!(
                "{peer}: Envio completo: {} ({size} bytes{from}, sha256 {})",
                named(&name),
                hex(&digest)
            )
        });
        Ok(())
    }

    async fn put(&mut self, name: String, size: u64, resume: bool) -> Result<(), Failure> {
        let user = self.user.clone().unwrap_or_default();
        let store = Arc::clone(&self.shared.store);
        // A resumable upload holds its lock until it ends, so a retry waits
        // until the broken attempt has saved what it received.
        let held = if resume {
            let key = Store::partial_key(&user, &name, size);
            let lock = store.partial_lock(&key);
            let guard = tokio::time::timeout(self.shared.timeout, lock.lock_owned())
                .await
                .map_err(|_| StoreError::Busy(name.clone()))?;
            Some((guard, key))
        } else {
            None
        };
        let key = held.as_ref().map(|(_, key)| key.clone());
        let wanted = name.clone();
        let begin_store = Arc::clone(&store);
        let upload = blocking(move || match key {
            Some(key) => begin_store.begin_resumable(&wanted, size, &key),
            None => begin_store.begin_upload(&wanted, size),
        })
        .await?;
        let path = upload.path.clone();
        let resumable = upload.resumable;
        let peer = self.peer;
        let from = upload.offset;
        self.shared.say(|| {
            let resumed = if from > 0 {
                format!(", resuming at byte {from}")
            } else {
                String::new()
            };
            format!("{peer}: receiving {} ({size} bytes{resumed})", named(&name))
        });
        match self.receive(upload, &name, size).await {
            Ok((file, digest)) => {
                let target = name.clone();
                let commit_path = path.clone();
                let commit_store = Arc::clone(&store);
                // Verified: now, and only now, worth syncing and putting in place.
                let committed = blocking(move || {
                    file.sync_all()
                        .map_err(StoreError::io("cannot sync the upload"))?;
                    commit_store.commit(&commit_path, &target, digest)
                })
                .await;
                let previous = match committed {
                    Ok(previous) => previous,
                    Err(e) => {
                        store.discard(&path);
                        return Err(e);
                    }
                };
                self.writer
                    .send(&Message::Stored {
                        size,
                        digest,
                        previous: previous.clone().unwrap_or_default(),
                    })
                    .await?;
                let kept = previous
                    .map(|p| format!(", previous version kept as {}", named(&p)))
                    .unwrap_or_default();
                self.shared.say(|| {
                    format!(
                        "{peer}: stored {} ({size} bytes, sha256 {}){kept}",
                        named(&name),
                        hex(&digest)
                    )
                });
                Ok(())
            }
            Err((failure, received, keep)) => {
                if resumable && keep {
                    self.shared.say(|| {
                        format!("{peer}: upload of {} broken after {received} of {size} bytes; kept for --resume", named(&name))
                    });
                } else {
                    store.discard(&path);
                    self.shared.say(|| {
                        format!("{peer}: upload of {} failed after {received} of {size} bytes; nothing kept", named(&name))
                    });
                }
                Err(failure)
            }
        }
    }

    /// Receive an upload's data into `upload`, then its TRAILER, and verify
    /// the digest (the file is written, not yet synced). On failure: the
    /// failure, the bytes received, and whether they are worth keeping.
    async fn receive(
        &mut self,
        upload: Upload,
        name: &str,
        size: u64,
    ) -> Result<(std::fs::File, Digest), (Failure, u64, bool)> {
        let mut received = upload.offset;
        if let Err(e) = self.writer.send(&Message::Ready { offset: received }).await {
            return Err((e.into(), received, true));
        }
        let mut sink = disk::spawn_sink(upload.file, upload.offset, upload.hasher);
        // The data, then the trailer: `Ok(digest)` once it arrives after
        // exactly `size` bytes.
        let outcome = loop {
            let frame = tokio::select! {
                () = self.shared.shutdown.cancelled() => break Err(shutting_down()),
                frame = self.reader.next() => frame,
            };
            match frame {
                Ok(Some(Incoming::Data(chunk))) => {
                    let len = chunk.len() as u64;
                    if len > size - received {
                        break Err(Failure::Close(
                            code::BAD_REQUEST,
                            format!("more data than the {size} bytes announced"),
                        ));
                    }
                    if let Err(e) = sink.write(chunk).await {
                        let code = if e.kind() == io::ErrorKind::StorageFull {
                            code::NO_SPACE
                        } else {
                            code::SERVER
                        };
                        break Err(Failure::Close(code, format!("cannot write {name:?}: {e}")));
                    }
                    received += len;
                }
                Ok(Some(Incoming::Message(Message::Trailer { digest }))) if received == size => {
                    break Ok(digest);
                }
                Ok(Some(Incoming::Message(Message::Trailer { .. }))) => {
                    break Err(Failure::Close(
                        code::BAD_REQUEST,
                        format!("a TRAILER after {received} of the {size} bytes announced"),
                    ));
                }
                Ok(Some(Incoming::Message(Message::Error { message, .. }))) => {
                    break Err(Failure::Refuse(
                        code::ABORTED,
                        format!(
                            "upload of {name:?} cancelled by the client: {}",
                            shown(&message)
                        ),
                    ));
                }
                Ok(Some(Incoming::Message(other))) => {
                    let expected = if received == size {
                        "the TRAILER"
                    } else {
                        "data"
                    };
                    break Err(Failure::Close(
                        code::BAD_REQUEST,
                        format!(
                            "expected {expected}, got {}",
                            describe(&Incoming::Message(other))
                        ),
                    ));
                }
                Ok(None) => {
                    break Err(Failure::Lost(format!(
                        "closed after {received} of {size} bytes"
                    )));
                }
                Err(e) => break Err(e.into()),
            }
        };
        // Wait for the disk thread either way: the data must be on disk (a
        // partial to resume) or the thread done with the file (to remove it).
        let written = sink.finish().await;
        let digest = match outcome {
            Ok(digest) => digest,
            Err(failure) => return Err((failure, received, true)),
        };
        let written = match written {
            Ok(written) => written,
            Err(e) => {
                return Err((
                    Failure::Refuse(code::SERVER, format!("cannot write {name:?}: {e}")),
                    received,
                    false,
                ));
            }
        };
        if !auth::digests_equal(&written.digest, &digest) {
            return Err((
                Failure::Refuse(
                    code::DIGEST_MISMATCH,
                    format!(
                        "digest mismatch for {name:?}: announced sha256 {}, received sha256 {}; nothing was changed",
                        hex(&digest),
                        hex(&written.digest)
                    ),
                ),
                received,
                false,
            ));
        }
        Ok((written.file, written.digest))
    }
}

fn describe(frame: &Incoming) -> String {
    match frame {
        Incoming::Data(_) => "a DATA frame".into(),
        Incoming::Message(m) => format!("a {} frame", wire::KindName(m.kind())),
    }
}

/// The slide's server: every connection receives the bytes of `file`, then
/// is closed. The slide sends 16 KiB at a time, but a TCP stream has no
/// chunks the client could see: this reads and sends 256 KiB at a time,
/// a plain copy. No framing, no login, no digest:
/// for compatibility with the slide's client only. A client that stops
/// reading for `limits.timeout` is dropped; one over the connection cap
/// receives nothing (the slide's client would save any message as the
/// file) and is closed.
pub async fn run_raw(
    listener: TcpListener,
    file: PathBuf,
    limits: &Limits,
    transcript: Option<Transcript>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let file = Arc::new(file);
    let token = shutdown.clone();
    serve(listener, limits, b"", shutdown, |stream, peer| {
        let file = Arc::clone(&file);
        let transcript = transcript.clone();
        let shutdown = token.clone();
        async move {
            let say = |line: &str| {
                if let Some(t) = &transcript {
                    t(line.to_owned());
                }
            };
            say(&format!("Conectado por: {peer}"));
            tokio::select! {
                sent = send_raw(stream, &file) => match sent {
                    Ok(bytes) => {
                        debug!(%peer, bytes, "raw file sent");
                        say("Envio completo");
                    }
                    Err(e) => warn!(%peer, error = %e, "raw send failed"),
                },
                () = shutdown.cancelled() => {}
            }
            say("Conexão fechada");
        }
    })
    .await
}

/// Send the file's bytes as they are. A write the client leaves unread
/// fails after the timeout ([`Admitted`] sees to it).
async fn send_raw(mut stream: Socket, path: &std::path::Path) -> io::Result<u64> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    // The raw protocol has no frames: plain bytes, a batch per read (the
    // slide's 16 KiB reads would only cost more system calls).
    let mut source = disk::spawn_source(file, 0, len, disk::BATCH, false);
    let mut sent = 0;
    while let Some(batch) = source.next().await {
        let batch = batch?;
        stream.write_all(&batch.bytes).await?;
        sent += batch.content;
    }
    stream.shutdown().await?;
    Ok(sent)
}

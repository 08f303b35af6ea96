//! The client: one method per operation of the protocol.
//!
//! ```no_run
//! # async fn demo() -> Result<(), file_transfer::client::ClientError> {
//! use file_transfer::client::{Client, NoProgress};
//! use std::path::Path;
//! use std::time::Duration;
//! let mut client = Client::connect("127.0.0.1:6001", Duration::from_secs(60)).await?;
//! client.login("aluno", "segredo").await?;
//! for file in client.list().await? {
//!     println!("{} {}", file.size, file.name);
//! }
//! client.get("FT_teste.xlsx", Path::new("FT_arquivo_recebido.xlsx"), false, &NoProgress).await?;
//! client.put(Path::new("FT_arquivo_recebido.xlsx"), "FT_teste.xlsx", false, &NoProgress).await?;
//! # Ok(()) }
//! ```
//!
//! A download is written to `DEST.part`, checked against the digest the
//! server announced, synced, and renamed to `DEST`: like the server, the
//! client never leaves a half-written file under the real name. If the
//! transfer breaks, `DEST.part` stays, and a `get` with `resume` continues
//! from its end (the server first checks that those bytes are its own).

use crate::MESSAGE_SHOWN;
use crate::auth;
use crate::conn::{ConnError, FrameReader, FrameWriter, Incoming};
use crate::disk;
use crate::server::DEFAULT_CHUNK;
use crate::store::Entry;
use crate::wire::{self, Digest, Message, hex};
use common::escape::{Escaped, SHOWN, escape};
use sha2::{Digest as _, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Why an operation failed. Each message is one sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nobody accepted the connection.
    #[error("cannot connect to {addr}: {source} (is the server running?)")]
    Connect {
        /// The address.
        addr: String,
        /// What the system said.
        source: io::Error,
    },
    /// The peer is not a file-transfer server.
    #[error("{0}")]
    NotOurProtocol(String),
    /// The server refused, with its reason (shown escaped: it may hold
    /// anything, terminal controls included).
    #[error("the server refused: {} ({code})", Escaped::new(.message, MESSAGE_SHOWN))]
    Refused {
        /// The protocol error code.
        code: u16,
        /// The server's reason.
        message: String,
    },
    /// The server could not prove it knows the account.
    #[error(
        "the server's login signature is wrong: it does not know this account (a fake server?)"
    )]
    FakeServer,
    /// The server asked for an iteration count outside the safe range.
    #[error("the server asked for {0} PBKDF2 iterations; refusing (accepted: 4096 to 10000000)")]
    Iterations(u32),
    /// The server sent something the protocol does not allow here.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection ended before the operation completed.
    #[error("the server closed the connection")]
    Closed,
    /// A download stopped before its end.
    #[error(
        "the transfer broke after {received} of {size} bytes ({reason}); the part is kept in {part}: run again with --resume to continue"
    )]
    Broken {
        /// Bytes received.
        received: u64,
        /// Bytes announced.
        size: u64,
        /// Why.
        reason: String,
        /// The partial file.
        part: String,
    },
    /// An upload stopped before the server confirmed it.
    #[error(
        "the upload broke after sending {sent} of {size} bytes ({reason}); {}",
        if *.resumable {
            "the server keeps what it received: run the same put --resume again to continue"
        } else {
            "nothing was kept: only an upload started with put --resume can continue where it stopped"
        }
    )]
    UploadBroken {
        /// Bytes sent (the server may have received fewer).
        sent: u64,
        /// The file's size.
        size: u64,
        /// Why.
        reason: String,
        /// Whether it was a `put --resume`.
        resumable: bool,
    },
    /// The received bytes do not have the announced digest.
    #[error(
        "digest mismatch: the server announced sha256 {expected}, the data received has sha256 {got}; nothing was saved"
    )]
    DigestMismatch {
        /// Announced.
        expected: String,
        /// Computed.
        got: String,
    },
    /// The exercise's file was not saved with a change in time.
    #[error(
        "{path} did not change within {} s (--max-wait); nothing was sent",
        .waited.as_secs_f64()
    )]
    NotChanged {
        /// The local file.
        path: String,
        /// How long it was watched.
        waited: Duration,
    },
    /// Where to save a download is not a file's place.
    #[error("{0}")]
    Destination(String),
    /// A local file problem.
    #[error("{context}: {source}")]
    Local {
        /// What we were doing.
        context: String,
        /// What the system said.
        source: io::Error,
    },
    /// The connection failed.
    #[error(transparent)]
    Conn(#[from] ConnError),
}

fn local(context: impl Into<String>) -> impl FnOnce(io::Error) -> ClientError {
    let context = context.into();
    move |source| ClientError::Local { context, source }
}

fn unexpected(what: &str, got: Option<Incoming>) -> ClientError {
    match got {
        None => ClientError::Closed,
        Some(Incoming::Message(Message::Error { code, message })) => {
            ClientError::Refused { code, message }
        }
        Some(Incoming::Data(_)) => ClientError::Protocol(format!("expected {what}, got data")),
        Some(Incoming::Message(m)) => ClientError::Protocol(format!(
            "expected {what}, got a {} frame",
            wire::KindName(m.kind())
        )),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ClientError> + Send + 'static,
) -> Result<T, ClientError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ClientError::Local {
            context: "a background task failed".into(),
            source: io::Error::other(e),
        })?
}

/// Progress of a transfer, for a progress bar.
pub trait Progress: Sync {
    /// A transfer of `total` bytes starts, `done` of them already there.
    fn begin(&self, total: u64, done: u64);
    /// `bytes` more arrived or left.
    fn advance(&self, bytes: u64);
    /// The transfer ended (well or not).
    fn end(&self);
}

/// No progress shown.
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _total: u64, _done: u64) {}
    fn advance(&self, _bytes: u64) {}
    fn end(&self) {}
}

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The file's size.
    pub size: u64,
    /// Its SHA-256, verified.
    pub digest: Digest,
    /// Where the download started: 0, or the resumed partial's length.
    pub resumed_from: u64,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The file's size.
    pub size: u64,
    /// Its SHA-256, verified by the server.
    pub digest: Digest,
    /// Where the upload started: 0, or what the server already held.
    pub resumed_from: u64,
    /// Where the server kept the previous version (`FT_teste.xlsx.1`).
    pub previous: Option<String>,
}

/// Where `get NAME [DEST]` saves, as `cp` and `scp` decide: `DEST`, or
/// `DEST/NAME` when `DEST` is a directory (`.` included), or `NAME` in the
/// current directory without `DEST`. Refused before anything is
/// downloaded: a `DEST` ending in `/` that is not a directory, and a
/// destination that is a directory itself.
pub fn destination(name: &str, dest: Option<&Path>) -> Result<PathBuf, ClientError> {
    let own = || {
        Path::new(name)
            .file_name()
            .map(PathBuf::from)
            .ok_or_else(|| {
                ClientError::Destination(format!(
                    "{name:?} has no file name to save under; give DEST"
                ))
            })
    };
    let path = match dest {
        None => own()?,
        Some(dir) if dir.is_dir() => dir.join(own()?),
        Some(dest)
            if dest
                .as_os_str()
                .to_string_lossy()
                .ends_with(std::path::MAIN_SEPARATOR) =>
        {
            return Err(ClientError::Destination(format!(
                "cannot save in {}: there is no such directory",
                dest.display()
            )));
        }
        Some(dest) => dest.to_owned(),
    };
    if path.is_dir() {
        return Err(ClientError::Destination(format!(
            "cannot save as {}: it is a directory",
            path.display()
        )));
    }
    Ok(path)
}

/// The partial file of a download to `dest`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// A logged-in (or about to be) connection to a file-transfer server.
pub struct Client {
    reader: FrameReader<OwnedReadHalf>,
    writer: FrameWriter<OwnedWriteHalf>,
    server_nonce: Digest,
    chunk: usize,
}

impl Client {
    /// Connect to `addr` and read the server's greeting. `timeout` bounds
    /// every wait for the server.
    pub async fn connect(addr: &str, timeout: Duration) -> Result<Self, ClientError> {
        let connecting = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
        let stream = match connecting {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => {
                return Err(ClientError::Connect {
                    addr: addr.to_owned(),
                    source,
                });
            }
            Err(_) => {
                return Err(ClientError::Connect {
                    addr: addr.to_owned(),
                    source: io::Error::new(io::ErrorKind::TimedOut, "timed out"),
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut reader = FrameReader::new(read, timeout);
        let writer = FrameWriter::new(write, timeout);
        let not_ours = |what: String| {
            ClientError::NotOurProtocol(format!(
                "the server at {addr} is not a {} server ({what}); for the slide's server use get --raw",
                wire::PROTOCOL
            ))
        };
        let server_nonce = match reader.next().await {
            Ok(Some(Incoming::Message(Message::Hello { protocol, nonce })))
                if protocol == wire::PROTOCOL =>
            {
                nonce
            }
            Ok(Some(Incoming::Message(Message::Hello { protocol, .. }))) => {
                return Err(not_ours(format!(
                    "it speaks \"{}\"",
                    escape(&protocol, SHOWN)
                )));
            }
            Ok(Some(Incoming::Message(Message::Error { code, message }))) => {
                return Err(ClientError::Refused { code, message });
            }
            Ok(_) | Err(ConnError::Wire(_) | ConnError::Truncated) => {
                return Err(not_ours("its first bytes are not a greeting".into()));
            }
            Err(ConnError::Timeout(d)) => {
                return Err(not_ours(format!(
                    "it sent no greeting within {} s",
                    d.as_secs_f64()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Self {
            reader,
            writer,
            server_nonce,
            chunk: DEFAULT_CHUNK,
        })
    }

    /// Set the bytes of file content per data frame sent (at most 1 MiB).
    pub fn set_chunk(&mut self, chunk: usize) {
        self.chunk = chunk.clamp(1, wire::MAX_CHUNK);
    }

    /// Log in. The password never leaves this process: only a proof
    /// derived from it and the two nonces does.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), ClientError> {
        let client_nonce = auth::random::<32>().map_err(|e| ClientError::Local {
            context: "no randomness".into(),
            source: io::Error::other(e),
        })?;
        self.writer
            .send(&Message::Auth {
                user: user.to_owned(),
                nonce: client_nonce,
            })
            .await?;
        let (iterations, salt) = match self.reader.next().await? {
            Some(Incoming::Message(Message::Challenge { iterations, salt })) => (iterations, salt),
            other => return Err(unexpected("CHALLENGE", other)),
        };
        if !(auth::MIN_ITERATIONS..=auth::MAX_ITERATIONS).contains(&iterations) {
            return Err(ClientError::Iterations(iterations));
        }
        let message =
            auth::auth_message(user, &client_nonce, &self.server_nonce, iterations, &salt);
        let password = password.to_owned();
        // PBKDF2 is deliberately slow: keep it off the async threads.
        let (proof, expected) =
            blocking(move || Ok(auth::client_proof(&password, &salt, iterations, &message)))
                .await?;
        self.writer.send(&Message::Proof { proof }).await?;
        // A failed login is answered late on purpose (see `auth::Backoff`).
        let wait = self.reader.timeout() + Duration::from_secs(10);
        let previous = self.reader.timeout();
        self.reader.set_timeout(wait);
        let reply = self.reader.next().await;
        self.reader.set_timeout(previous);
        match reply? {
            Some(Incoming::Message(Message::Welcome { signature })) => {
                if auth::digests_equal(&signature, &expected) {
                    Ok(())
                } else {
                    Err(ClientError::FakeServer)
                }
            }
            other => Err(unexpected("WELCOME", other)),
        }
    }

    /// The files on the server, sorted by name.
    pub async fn list(&mut self) -> Result<Vec<Entry>, ClientError> {
        self.writer.send(&Message::List).await?;
        let mut entries = Vec::new();
        loop {
            match self.reader.next().await? {
                Some(Incoming::Message(Message::Entry {
                    name,
                    size,
                    modified,
                })) => entries.push(Entry {
                    name,
                    size,
                    modified,
                }),
                Some(Incoming::Message(Message::End)) => return Ok(entries),
                other => return Err(unexpected("ENTRY or END", other)),
            }
        }
    }

    /// Download `name` into `dest`. With `resume`, continue from
    /// `DEST.part` if a broken download left one.
    pub async fn get(
        &mut self,
        name: &str,
        dest: &Path,
        resume: bool,
        progress: &dyn Progress,
    ) -> Result<Received, ClientError> {
        let part = part_path(dest);
        let (offset, prefix_hasher) = if resume {
            let part = part.clone();
            blocking(move || match std::fs::File::open(&part) {
                Ok(mut file) => {
                    let len = file
                        .metadata()
                        .map_err(local("cannot read the partial download"))?
                        .len();
                    let hasher = disk::hash_prefix(&mut file, len)
                        .map_err(local("cannot read the partial download"))?;
                    Ok((len, hasher))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((0, Sha256::new())),
                Err(e) => Err(local(format!("cannot open {}", part.display()))(e)),
            })
            .await?
        } else {
            (0, Sha256::new())
        };
        let prefix: Digest = if offset > 0 {
            prefix_hasher.clone().finalize().into()
        } else {
            [0; 32]
        };
        self.writer
            .send(&Message::Get {
                name: name.to_owned(),
                offset,
                prefix,
            })
            .await?;
        // The server may hash a large file before it answers.
        let (size, digest, start) = match self.reader.next().await? {
            Some(Incoming::Message(Message::File {
                size,
                digest,
                offset: start,
            })) => (size, digest, start),
            other => return Err(unexpected("FILE", other)),
        };
        if (start != 0 && start != offset) || start > size {
            return Err(ClientError::Protocol(format!(
                "the server resumes at byte {start}, but we asked for {offset}"
            )));
        }
        let hasher = if start == 0 {
            Sha256::new()
        } else {
            prefix_hasher
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)
            .map_err(local(format!("cannot write {}", part.display())))?;
        let mut sink = disk::spawn_sink(file, start, hasher);
        progress.begin(size, start);
        let mut received = start;
        let broken = loop {
            if received == size {
                break None;
            }
            match self.reader.next().await {
                Ok(Some(Incoming::Data(chunk))) => {
                    let len = chunk.len() as u64;
                    if len > size - received {
                        break Some(ClientError::Protocol(format!(
                            "the server sent more than the {size} bytes it announced"
                        )));
                    }
                    if let Err(e) = sink.write(chunk).await {
                        break Some(local(format!("cannot write {}", part.display()))(e));
                    }
                    received += len;
                    progress.advance(len);
                }
                Ok(Some(Incoming::Message(Message::Error { code, message }))) => {
                    break Some(ClientError::Refused { code, message });
                }
                Ok(other) => {
                    let reason = match other {
                        None => "the server closed the connection".to_owned(),
                        Some(_) => "the server sent a frame that is not data".to_owned(),
                    };
                    break Some(ClientError::Broken {
                        received,
                        size,
                        reason,
                        part: part.display().to_string(),
                    });
                }
                Err(e) => {
                    break Some(ClientError::Broken {
                        received,
                        size,
                        reason: e.to_string(),
                        part: part.display().to_string(),
                    });
                }
            }
        };
        progress.end();
        let written = sink.finish().await;
        if let Some(e) = broken {
            return Err(e);
        }
        let written = written.map_err(local(format!("cannot write {}", part.display())))?;
        if !auth::digests_equal(&written.digest, &digest) {
            let _ = std::fs::remove_file(&part);
            return Err(ClientError::DigestMismatch {
                expected: hex(&digest),
                got: hex(&written.digest),
            });
        }
        let file = written.file;
        let synced = part.clone();
        blocking(move || {
            file.sync_all()
                .map_err(local(format!("cannot write {}", synced.display())))
        })
        .await?;
        if let Err(e) = std::fs::rename(&part, dest) {
            // Verified, but it cannot take its name: nothing to resume.
            let _ = std::fs::remove_file(&part);
            return Err(local(format!("cannot save as {}", dest.display()))(e));
        }
        Ok(Received {
            size,
            digest,
            resumed_from: start,
        })
    }

    /// Upload the file at `src` as `name`. With `resume`, the server keeps
    /// what it received if the transfer breaks, and a retry continues it.
    pub async fn put(
        &mut self,
        src: &Path,
        name: &str,
        resume: bool,
        progress: &dyn Progress,
    ) -> Result<Sent, ClientError> {
        let path = src.to_owned();
        let (file, size) = blocking(move || {
            let file = std::fs::File::open(&path)
                .map_err(local(format!("cannot open {}", path.display())))?;
            let meta = file
                .metadata()
                .map_err(local(format!("cannot read {}", path.display())))?;
            if !meta.is_file() {
                return Err(local(format!("cannot send {}", path.display()))(
                    io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
                ));
            }
            Ok((file, meta.len()))
        })
        .await?;
        self.writer
            .send(&Message::Put {
                name: name.to_owned(),
                size,
                resume,
            })
            .await?;
        let offset = match self.reader.next().await? {
            Some(Incoming::Message(Message::Ready { offset })) if offset <= size => offset,
            Some(Incoming::Message(Message::Ready { offset })) => {
                return Err(ClientError::Protocol(format!(
                    "the server asks to resume at byte {offset} of a {size}-byte file"
                )));
            }
            other => return Err(unexpected("READY", other)),
        };
        // One pass over the file: the disk thread hashes what it reads while
        // the batches before it are on the wire, and the digest follows the
        // data (TRAILER).
        let mut source = disk::spawn_hashed_source(file, offset, size, self.chunk);
        progress.begin(size, offset);
        let limit = self.reader.timeout();
        let Self { reader, writer, .. } = self;
        let mut sent = offset;
        // A connection that fails from here on breaks the upload: say how
        // far it got, and whether it can continue.
        let broken = |sent: u64, reason: String| ClientError::UploadBroken {
            sent,
            size,
            reason,
            resumable: resume,
        };
        // The server answers once, after the last byte, or earlier to refuse
        // (disk full, shutting down): watch for it while sending.
        let reply = reader.next_untimed();
        tokio::pin!(reply);
        let mut early = None;
        let mut digest = None;
        loop {
            tokio::select! {
                biased;
                answer = &mut reply => {
                    early = Some(answer);
                    break;
                }
                frame = source.next() => match frame {
                    None => {
                        let Some(whole) = source.digest().await else {
                            progress.end();
                            return Err(local(format!("cannot read {}", src.display()))(
                                io::Error::other("the disk thread failed"),
                            ));
                        };
                        if let Err(e) = writer.send(&Message::Trailer { digest: whole }).await {
                            progress.end();
                            return Err(broken(sent, e.to_string()));
                        }
                        digest = Some(whole);
                        break;
                    }
                    Some(Ok(batch)) => {
                        if let Err(e) = writer.send_frame(&batch.bytes).await {
                            progress.end();
                            return Err(broken(sent, e.to_string()));
                        }
                        sent += batch.content;
                        progress.advance(batch.content);
                    }
                    Some(Err(e)) => {
                        progress.end();
                        // Tell the server, so it drops the upload and stays in step.
                        let reason = format!("cannot read {}: {e}", src.display());
                        writer.send(&Message::error(wire::code::ABORTED, reason.clone())).await?;
                        let _ = tokio::time::timeout(limit, &mut reply).await;
                        return Err(local(format!("cannot read {}", src.display()))(e));
                    }
                },
            }
        }
        progress.end();
        let answer = match early {
            Some(answer) => answer,
            None => match tokio::time::timeout(limit, &mut reply).await {
                Ok(answer) => answer,
                Err(_) => return Err(broken(sent, ConnError::Timeout(limit).to_string())),
            },
        };
        match answer {
            Ok(Some(Incoming::Message(Message::Stored {
                size: stored,
                digest: stored_digest,
                previous,
            }))) if stored == size && Some(stored_digest) == digest => Ok(Sent {
                size,
                digest: stored_digest,
                resumed_from: offset,
                previous: (!previous.is_empty()).then_some(previous),
            }),
            Ok(Some(Incoming::Message(Message::Stored { .. }))) => Err(ClientError::Protocol(
                "the server stored a different size or digest than we sent".into(),
            )),
            Ok(None) => Err(broken(sent, "the server closed the connection".into())),
            Err(e) => Err(broken(sent, e.to_string())),
            Ok(other) => Err(unexpected("STORED", other)),
        }
    }
}

/// Receive a file from the slide's server (`--raw`): connect, read until the
/// server closes, save as `dest`. The raw protocol has no size and no digest,
/// so a transfer cut short cannot be told from a complete one: this returns
/// what arrived and, with `sha256`, its SHA-256 for the user to compare
/// (without it the transfer is a plain copy, as fast as the network and the
/// disk allow).
pub async fn get_raw(
    addr: &str,
    dest: &Path,
    timeout: Duration,
    sha256: bool,
    progress: &dyn Progress,
) -> Result<(u64, Option<Digest>), ClientError> {
    let connecting = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
    let mut stream = match connecting {
        Ok(Ok(stream)) => stream,
        Ok(Err(source)) => {
            return Err(ClientError::Connect {
                addr: addr.to_owned(),
                source,
            });
        }
        Err(_) => {
            return Err(ClientError::Connect {
                addr: addr.to_owned(),
                source: io::Error::new(io::ErrorKind::TimedOut, "timed out"),
            });
        }
    };
    let part = part_path(dest);
    let file =
        std::fs::File::create(&part).map_err(local(format!("cannot write {}", part.display())))?;
    progress.begin(0, 0);
    let landed = if sha256 {
        let mut sink = disk::spawn_sink(file, 0, Sha256::new());
        let received = receive_raw(&mut stream, &mut sink, timeout, progress, &part).await;
        let written = sink.finish().await;
        received.map(|total| written.map(|w| (total, Some(w.digest), w.file)))
    } else {
        let mut sink = disk::spawn_plain_sink(file);
        let received = receive_raw(&mut stream, &mut sink, timeout, progress, &part).await;
        let copied = sink.finish().await;
        received.map(|total| copied.map(|c| (total, None, c.file)))
    };
    progress.end();
    let landed = landed.and_then(|written| {
        written
            .and_then(|(total, digest, file)| file.sync_all().map(|()| (total, digest)))
            .map_err(local(format!("cannot write {}", part.display())))
    });
    let renamed = landed.and_then(|landed| {
        std::fs::rename(&part, dest)
            .map_err(local(format!("cannot save as {}", dest.display())))
            .map(|()| landed)
    });
    if renamed.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    renamed
}

/// The raw protocol's loop: what arrives, until the server closes, into
/// `sink`; returns how many bytes arrived.
async fn receive_raw<T>(
    stream: &mut TcpStream,
    sink: &mut disk::Sink<T>,
    timeout: Duration,
    progress: &dyn Progress,
    part: &Path,
) -> Result<u64, ClientError> {
    let mut total = 0u64;
    // What arrives is gathered into buffers of BATCH bytes (read straight
    // into them, no zeroing, no copy), each handed whole to the disk thread:
    // one hand-over per 256 KiB however the socket splits the stream.
    let mut buf = Vec::with_capacity(disk::BATCH);
    loop {
        match tokio::time::timeout(timeout, stream.read_buf(&mut buf)).await {
            Err(_) => return Err(ConnError::Timeout(timeout).into()),
            Ok(Err(e)) => return Err(ConnError::Io(e).into()),
            Ok(Ok(0)) => {
                // The end of the stream: the last, partly filled buffer.
                let last = std::mem::take(&mut buf);
                if !last.is_empty() {
                    sink.write(last)
                        .await
                        .map_err(local(format!("cannot write {}", part.display())))?;
                }
                return Ok(total);
            }
            Ok(Ok(n)) => {
                total += n as u64;
                progress.advance(n as u64);
                if buf.len() == buf.capacity() {
                    let full = std::mem::replace(&mut buf, Vec::with_capacity(disk::BATCH));
                    sink.write(full)
                        .await
                        .map_err(local(format!("cannot write {}", part.display())))?;
                }
            }
        }
    }
}

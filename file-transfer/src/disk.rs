//! Moving file content between the disk and the network in bounded memory.
//!
//! Disk reads, disk writes and SHA-256 are blocking work; the network side is
//! asynchronous. Each transfer gets a blocking thread for its disk side (a
//! receiver a second one, for SHA-256), joined to the network side by a
//! channel of [`PIPELINE_DEPTH`] chunks, so the disk and the network work at
//! the same time and a transfer holds at most a few chunks in memory,
//! whatever the size of the file.
//!
//! * [`spawn_source`] reads a file in chunks, each already framed as a data
//!   frame (header in front), in batches ready to be written to the socket.
//!   [`spawn_hashed_source`] also hashes what it reads, so an upload reads
//!   its file once and sends the digest after the data.
//! * [`spawn_sink`] writes received chunks, and hashes them on a second
//!   thread at the same time. A chunk of zeros is
//!   skipped with a seek instead of written, so a sparse file stays sparse
//!   (as `cp --sparse=auto` does); the file's length is set at the end.
//! * [`hash_file`] computes a file's SHA-256 (and, for a resume, the digest of
//!   its first bytes).

use crate::wire::{self, Digest, HEADER_LEN};
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Chunks in flight between the disk thread and the network side.
pub const PIPELINE_DEPTH: usize = 4;

/// The buffer size for hashing a whole file.
const HASH_BUFFER: usize = 1024 * 1024;

/// All zeros, to recognise a chunk of zeros with one `memcmp`.
static ZEROS: [u8; wire::MAX_CHUNK] = [0; wire::MAX_CHUNK];

fn join_error(e: tokio::task::JoinError) -> io::Error {
    io::Error::other(format!("the disk thread failed: {e}"))
}

/// Bytes handed between the disk thread and the network side at a time.
///
/// Chunks smaller than this travel in batches: with the slide's 16 KiB
/// chunks, 16 frames go to the socket in one write and 16 chunks to the disk
/// thread in one hand-over, so the chunk size sets the frames on the wire,
/// not the number of system calls and thread wake-ups.
pub const BATCH: usize = 256 * 1024;

/// A batch of whole data frames (or raw bytes), ready for the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The bytes to write.
    pub bytes: Vec<u8>,
    /// How many of them are file content (the rest are frame headers).
    pub content: u64,
}

/// Chunks of a file, read on a blocking thread.
pub struct Source {
    rx: mpsc::Receiver<io::Result<Batch>>,
    digest: Option<oneshot::Receiver<Digest>>,
}

impl Source {
    /// The next batch, `None` after the last one.
    pub async fn next(&mut self) -> Option<io::Result<Batch>> {
        self.rx.recv().await
    }

    /// After [`Source::next`] gave `None`: the SHA-256 of the whole file, for
    /// a source from [`spawn_hashed_source`] that read every byte (else
    /// `None`).
    pub async fn digest(&mut self) -> Option<Digest> {
        self.digest.take()?.await.ok()
    }
}

/// Read `len` bytes of `file` from `offset` in chunks of at most `chunk`
/// bytes, each made a data frame (`framed`) or left raw (the slide's
/// protocol, where `chunk` is only the size of each read). If the file ends
/// early (it shrank while being sent), the last item is an error.
pub fn spawn_source(file: File, offset: u64, len: u64, chunk: usize, framed: bool) -> Source {
    let (tx, rx) = mpsc::channel(PIPELINE_DEPTH);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        if let Err(e) = file.seek(SeekFrom::Start(offset)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let _ = read_batches(&mut file, len, chunk, framed, &tx, None);
    });
    Source { rx, digest: None }
}

/// An upload's source: reads `file` once, hashing every byte from 0 while it
/// sends the data frames of bytes `offset..size` (the bytes before `offset`,
/// which the server already holds, are only hashed). After the last batch,
/// [`Source::digest`] gives the whole file's SHA-256. If the file changed
/// while it was read (its length or modification time moved), the last item
/// is an error instead: the digest would describe a mix of two versions.
pub fn spawn_hashed_source(file: File, offset: u64, size: u64, chunk: usize) -> Source {
    let (tx, rx) = mpsc::channel(PIPELINE_DEPTH);
    let (digest_tx, digest_rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let before = file.metadata().map(|m| (m.len(), m.modified().ok()));
        let mut hasher = match hash_prefix(&mut file, offset) {
            Ok(hasher) => hasher,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        if let Err(e) = file.seek(SeekFrom::Start(offset)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        if !read_batches(
            &mut file,
            size - offset,
            chunk,
            true,
            &tx,
            Some(&mut hasher),
        ) {
            return;
        }
        let after = file.metadata().map(|m| (m.len(), m.modified().ok()));
        match (before, after) {
            (Ok(before), Ok(after)) if before == after => {
                let _ = digest_tx.send(hasher.finalize().into());
            }
            (Err(e), _) | (_, Err(e)) => {
                let _ = tx.blocking_send(Err(e));
            }
            _ => {
                let _ = tx.blocking_send(Err(io::Error::other(
                    "the file changed while it was being sent",
                )));
            }
        }
    });
    Source {
        rx,
        digest: Some(digest_rx),
    }
}

/// The loop of a source: batches of chunks to `tx`, each chunk hashed if
/// `hasher` is given. False if it stopped early (an error was sent, or the
/// receiver is gone).
fn read_batches(
    file: &mut File,
    len: u64,
    chunk: usize,
    framed: bool,
    tx: &mpsc::Sender<io::Result<Batch>>,
    mut hasher: Option<&mut Sha256>,
) -> bool {
    let chunk = chunk.clamp(1, wire::MAX_CHUNK);
    let header = if framed { HEADER_LEN } else { 0 };
    let mut left = len;
    while left > 0 {
        let mut batch = Batch {
            bytes: Vec::with_capacity(BATCH.max(chunk) + 16 * HEADER_LEN),
            content: 0,
        };
        let mut failed = None;
        while left > 0 && (batch.bytes.is_empty() || batch.bytes.len() + chunk <= BATCH) {
            let n = usize::try_from(left).map_or(chunk, |l| l.min(chunk));
            if framed {
                batch.bytes.extend_from_slice(&wire::data_header(n));
            }
            let start = batch.bytes.len();
            // Straight into the spare capacity: no zeroing first.
            let read = (&mut *file).take(n as u64).read_to_end(&mut batch.bytes);
            let short = match read {
                Ok(got) if got == n => None,
                Ok(_) => Some(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                )),
                Err(e) => Some(e),
            };
            if let Some(e) = short {
                failed = Some(e);
                batch.bytes.truncate(start - header);
                break;
            }
            if let Some(hasher) = hasher.as_deref_mut() {
                hasher.update(&batch.bytes[start..]);
            }
            batch.content += n as u64;
            left -= n as u64;
        }
        if !batch.bytes.is_empty() && tx.blocking_send(Ok(batch)).is_err() {
            // The receiver gave up (connection lost): stop.
            return false;
        }
        if let Some(e) = failed {
            let _ = tx.blocking_send(Err(e));
            return false;
        }
    }
    true
}

/// What a finished [`Sink`] leaves.
#[derive(Debug)]
pub struct Written {
    /// The file, written but not yet synced (the receiver syncs it once
    /// the digest is verified).
    pub file: File,
    /// SHA-256 of everything from byte 0 (including what the hasher was
    /// given before the sink started, for a resume).
    pub digest: Digest,
    /// The file's length.
    pub len: u64,
}

/// What a finished plain [`Sink`] leaves (the slide's protocol: a copy).
#[derive(Debug)]
pub struct Copied {
    /// The file, written but not yet synced.
    pub file: File,
    /// The file's length.
    pub len: u64,
}

/// Received chunks, written (and hashed) on blocking threads; `T` is what
/// it leaves: [`Written`] from [`spawn_sink`], [`Copied`] from
/// [`spawn_plain_sink`].
pub struct Sink<T = Written> {
    tx: Option<mpsc::Sender<Vec<u8>>>,
    /// Small chunks gathered into one hand-over (see [`BATCH`]).
    pending: Vec<u8>,
    handle: JoinHandle<io::Result<T>>,
}

/// Write chunks to `file` from `start` (the file is cut to `start` first),
/// continuing `hasher` (which has seen bytes `0..start`).
///
/// Two threads share the work: one writes each chunk, the other hashes it
/// (the chunk is shared, not copied). SHA-256 costs about as much CPU as
/// the write, so on two cores the two halves overlap instead of adding up;
/// at most [`PIPELINE_DEPTH`] chunks wait for the hasher.
pub fn spawn_sink(mut file: File, start: u64, hasher: Sha256) -> Sink {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(PIPELINE_DEPTH);
    let handle = tokio::task::spawn_blocking(move || {
        file.set_len(start)?;
        file.seek(SeekFrom::Start(start))?;
        let (to_hasher, chunks) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(PIPELINE_DEPTH);
        let hashing = std::thread::Builder::new()
            .name("sha256".into())
            .spawn(move || {
                let mut hasher = hasher;
                for chunk in chunks {
                    hasher.update(&chunk[..]);
                }
                let digest: Digest = hasher.finalize().into();
                digest
            })?;
        let written = write_chunks(&mut file, start, &mut rx, Some(&to_hasher));
        // The hasher ends when the last chunk is hashed and the sender is
        // gone; on a write error it is told to stop by the same drop.
        drop(to_hasher);
        let digest = hashing
            .join()
            .map_err(|_| io::Error::other("the hashing thread failed"))?;
        let pos = written?;
        // A trailing run of zeros was only skipped: extending the length
        // makes it a hole that reads as zeros.
        file.set_len(pos)?;
        Ok(Written {
            file,
            digest,
            len: pos,
        })
    });
    Sink {
        tx: Some(tx),
        pending: Vec::new(),
        handle,
    }
}

/// A sink that only writes: the slide's protocol has no digest to check, so
/// `get --raw` is a plain copy unless asked for the SHA-256 (which costs
/// about as much CPU as the copy itself).
pub fn spawn_plain_sink(mut file: File) -> Sink<Copied> {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(PIPELINE_DEPTH);
    let handle = tokio::task::spawn_blocking(move || {
        file.set_len(0)?;
        let len = write_chunks(&mut file, 0, &mut rx, None)?;
        file.set_len(len)?;
        Ok(Copied { file, len })
    });
    Sink {
        tx: Some(tx),
        pending: Vec::new(),
        handle,
    }
}

/// The writing half of a sink: each chunk to the hasher (if any), then to
/// `file`; a chunk of zeros is skipped with a seek. Returns where the file
/// ends.
fn write_chunks(
    file: &mut File,
    start: u64,
    rx: &mut mpsc::Receiver<Vec<u8>>,
    to_hasher: Option<&std::sync::mpsc::SyncSender<Arc<Vec<u8>>>>,
) -> io::Result<u64> {
    // `pos` is where the next byte belongs; `at` is where the OS file
    // position is. They differ while we skip over zeros.
    let mut pos = start;
    let mut at = start;
    while let Some(chunk) = rx.blocking_recv() {
        let chunk = Arc::new(chunk);
        if let Some(to_hasher) = to_hasher {
            to_hasher
                .send(Arc::clone(&chunk))
                .map_err(|_| io::Error::other("the hashing thread ended early"))?;
        }
        let len = chunk.len() as u64;
        if chunk.chunks(ZEROS.len()).all(|c| c == &ZEROS[..c.len()]) {
            pos += len;
            continue;
        }
        if at != pos {
            file.seek(SeekFrom::Start(pos))?;
        }
        file.write_all(&chunk)?;
        pos += len;
        at = pos;
    }
    Ok(pos)
}

impl<T> Sink<T> {
    /// Queue a chunk. If the disk thread has failed, returns its error.
    pub async fn write(&mut self, chunk: Vec<u8>) -> io::Result<()> {
        if self.pending.is_empty() && chunk.len() >= BATCH {
            return self.hand_over(chunk).await;
        }
        if self.pending.capacity() == 0 {
            self.pending.reserve(BATCH + wire::MAX_CHUNK);
        }
        self.pending.extend_from_slice(&chunk);
        if self.pending.len() >= BATCH {
            let full = std::mem::replace(
                &mut self.pending,
                Vec::with_capacity(BATCH + wire::MAX_CHUNK),
            );
            return self.hand_over(full).await;
        }
        Ok(())
    }

    async fn hand_over(&mut self, chunk: Vec<u8>) -> io::Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread ended early, which it only does on an error.
        self.tx = None;
        match (&mut self.handle).await.map_err(join_error)? {
            Err(e) => Err(e),
            Ok(_) => Err(io::Error::other("the disk thread ended early")),
        }
    }

    /// Wait for every chunk to be written, then set the length. The file is
    /// not synced: the caller verifies the digest first, then syncs.
    pub async fn finish(mut self) -> io::Result<T> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.hand_over(rest).await?;
        }
        self.tx = None;
        self.handle.await.map_err(join_error)?
    }
}

/// SHA-256 of a whole file, and of its first `prefix` bytes (the digest of
/// the empty string when `prefix` is 0 or beyond the end). Blocking.
pub fn hash_file(file: &mut File, prefix: u64) -> io::Result<(Digest, Digest)> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut prefix_digest: Option<Digest> = (prefix == 0).then(|| Sha256::new().finalize().into());
    let mut buf = vec![0u8; HASH_BUFFER];
    let mut done: u64 = 0;
    loop {
        // Stop exactly at `prefix` once, to snapshot the hasher there.
        let want = match prefix_digest {
            None => usize::try_from(prefix - done).map_or(buf.len(), |l| l.min(buf.len())),
            Some(_) => buf.len(),
        };
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        if prefix_digest.is_none() && done == prefix {
            prefix_digest = Some(hasher.clone().finalize().into());
        }
    }
    let prefix_digest = prefix_digest.unwrap_or_else(|| Sha256::new().finalize().into());
    Ok((hasher.finalize().into(), prefix_digest))
}

/// A hasher that has seen the first `len` bytes of `file`. Blocking.
pub fn hash_prefix(file: &mut File, len: u64) -> io::Result<Sha256> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut taken = (&mut *file).take(len);
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        let n = taken.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher)
}

/// SHA-256 of the empty string.
pub fn empty_digest() -> Digest {
    Sha256::new().finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(data: &[u8]) -> Digest {
        Sha256::digest(data).into()
    }

    async fn drain(mut source: Source) -> (Vec<Batch>, Option<io::Error>) {
        let mut batches = Vec::new();
        while let Some(item) = source.next().await {
            match item {
                Ok(batch) => batches.push(batch),
                Err(e) => return (batches, Some(e)),
            }
        }
        (batches, None)
    }

    #[tokio::test]
    async fn a_source_frames_the_file_in_chunks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdefgh").expect("write");
        let source = spawn_source(File::open(&path).expect("open"), 2, 5, 2, true);
        let (batches, failed) = drain(source).await;
        assert!(failed.is_none());
        // Small chunks travel together, each still its own frame.
        assert_eq!(
            batches,
            [Batch {
                bytes: b"D\0\0\0\x02cdD\0\0\0\x02efD\0\0\0\x01g".to_vec(),
                content: 5
            }]
        );
    }

    #[tokio::test]
    async fn a_source_batches_at_most_about_batch_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 3 * BATCH]).expect("write");
        let source = spawn_source(
            File::open(&path).expect("open"),
            0,
            3 * BATCH as u64,
            16 * 1024,
            true,
        );
        let (batches, _) = drain(source).await;
        let content: u64 = batches.iter().map(|b| b.content).sum();
        assert_eq!(content, 3 * BATCH as u64);
        assert!(
            batches
                .iter()
                .all(|b| b.bytes.len() <= BATCH + 16 * HEADER_LEN)
        );
        assert!(batches.len() >= 3);
    }

    #[tokio::test]
    async fn a_raw_source_has_no_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdefgh").expect("write");
        let source = spawn_source(File::open(&path).expect("open"), 0, 8, 3, false);
        let (batches, _) = drain(source).await;
        let all: Vec<u8> = batches.into_iter().flat_map(|b| b.bytes).collect();
        assert_eq!(all, b"abcdefgh");
    }

    #[tokio::test]
    async fn a_hashed_source_sends_from_the_offset_and_hashes_from_byte_0() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdefgh").expect("write");
        let mut source = spawn_hashed_source(File::open(&path).expect("open"), 3, 8, 4);
        let mut sent = Vec::new();
        while let Some(batch) = source.next().await {
            sent.extend_from_slice(&batch.expect("a batch").bytes);
        }
        // Bytes 0..3 are the server's already: hashed, not sent.
        assert_eq!(sent, b"D\0\0\0\x04defgD\0\0\0\x01h");
        assert_eq!(source.digest().await, Some(sha(b"abcdefgh")));
    }

    #[tokio::test]
    async fn a_source_reports_a_file_that_shrank() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").expect("write");
        let source = spawn_source(File::open(&path).expect("open"), 0, 10, 2, true);
        let (batches, failed) = drain(source).await;
        // The whole chunk that was read goes out; the cut one does not.
        assert_eq!(batches.iter().map(|b| b.content).sum::<u64>(), 2);
        assert_eq!(failed.expect("shrank").kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn a_sink_writes_hashes_and_keeps_zeros_as_holes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let file = File::create(&path).expect("create");
        let mut sink = spawn_sink(file, 0, Sha256::new());
        let mut expected = Vec::new();
        for chunk in [
            vec![1u8; 10],
            vec![0u8; 1 << 20],
            vec![2u8; 3],
            vec![0u8; 7],
        ] {
            expected.extend_from_slice(&chunk);
            sink.write(chunk).await.expect("write");
        }
        let written = sink.finish().await.expect("finish");
        assert_eq!(written.len, expected.len() as u64);
        assert_eq!(written.digest, sha(&expected));
        assert_eq!(std::fs::read(&path).expect("read back"), expected);
    }

    #[tokio::test]
    async fn a_sink_resumes_after_a_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        // A stale tail beyond the resume point must not survive.
        std::fs::write(&path, b"abcXYZ").expect("write");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        let hasher = hash_prefix(&mut file, 3).expect("hash prefix");
        let mut sink = spawn_sink(file, 3, hasher);
        sink.write(b"de".to_vec()).await.expect("write");
        let written = sink.finish().await.expect("finish");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcde");
        assert_eq!(written.digest, sha(b"abcde"));
    }

    #[test]
    fn hash_file_gives_the_whole_digest_and_a_prefix_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello world").expect("write");
        let mut file = File::open(&path).expect("open");
        let (whole, prefix) = hash_file(&mut file, 5).expect("hash");
        assert_eq!(whole, sha(b"hello world"));
        assert_eq!(prefix, sha(b"hello"));
        let (_, none) = hash_file(&mut file, 0).expect("hash");
        assert_eq!(none, empty_digest());
        let (_, beyond) = hash_file(&mut file, 99).expect("hash");
        assert_eq!(beyond, empty_digest());
    }

    #[test]
    fn the_empty_digest_is_sha256_of_nothing() {
        assert_eq!(
            wire::hex(&empty_digest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

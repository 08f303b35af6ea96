//! A framed connection: whole frames in, whole frames out, each with a deadline.
//!
//! [`FrameReader`] turns the byte stream into [`Incoming`] frames: a message
//! or a chunk of data. It reads the 5-byte header first and checks the
//! announced length against the limit of its kind (and a lower one the
//! server sets until login) before reading the body, and it never allocates
//! what a header announces before those bytes arrive. A clean end of stream
//! *between* frames is `None`; an end in the middle of a frame is an error,
//! which is how a receiver tells a broken transfer from a finished one.
//!
//! Every read and write has a deadline: a peer that goes silent (or stops
//! reading) costs the other side at most that long. The two halves are
//! separate so that a client can watch for an early refusal while it sends.

use crate::wire::{self, HEADER_LEN, Message, WireError};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The socket failed.
    #[error("connection error: {0}")]
    Io(#[from] io::Error),
    /// The peer sent bytes that are not a valid frame.
    #[error("invalid frame: {0}")]
    Wire(#[from] WireError),
    /// Nothing (or not a whole frame) arrived in time.
    #[error("nothing received for {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// A write did not complete in time (the peer stopped reading).
    #[error("the peer stopped reading for {} s", .0.as_secs_f64())]
    WriteTimeout(Duration),
    /// The stream ended in the middle of a frame.
    #[error("the connection closed in the middle of a frame")]
    Truncated,
}

/// One frame from the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A control message.
    Message(Message),
    /// A chunk of file content (never empty).
    Data(Vec<u8>),
}

/// Bytes read ahead of the current frame, at most: one read brings a 16 KiB
/// chunk and the next headers, as the old 64 KiB `BufReader` did.
pub const READ_AHEAD: usize = 64 * 1024;

/// The reading half of a framed connection.
///
/// Memory follows what the peer has sent, never what it announces: the
/// read-ahead buffer has a fixed size (small while a frame limit is set,
/// [`READ_AHEAD`] otherwise), and a body that is not there yet is read into
/// a vector that grows with what arrives (to four times what has arrived,
/// at least [`READ_AHEAD`], never past the announced length), so a header
/// announcing 1 MiB followed by silence costs 64 KiB at most, and before
/// login, with frames limited to 1 KiB, about 1 KiB.
pub struct FrameReader<R> {
    inner: R,
    /// Bytes received and not yet returned are `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    /// The largest body accepted, of any kind ([`FrameReader::limit_frames`]).
    max_body: usize,
    /// The most bytes read ahead (and the buffer's capacity).
    read_ahead: usize,
    timeout: Duration,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Read frames from `inner`, waiting at most `timeout` for each.
    pub fn new(inner: R, timeout: Duration) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            start: 0,
            max_body: wire::MAX_CHUNK,
            read_ahead: READ_AHEAD,
            timeout,
        }
    }

    /// The deadline of each read.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Change the deadline of each read.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Refuse, from its header, any frame whose body is over `max_body`
    /// bytes (`None`: the protocol's own limits only), and read ahead no
    /// more than one such frame. The server sets a small limit until the
    /// client has logged in.
    pub fn limit_frames(&mut self, max_body: Option<usize>) {
        self.max_body = max_body.map_or(wire::MAX_CHUNK, |m| m.min(wire::MAX_CHUNK));
        self.read_ahead = (HEADER_LEN + self.max_body).clamp(HEADER_LEN + 1, READ_AHEAD);
        if self.buf.capacity() > self.read_ahead && self.buffered() <= self.read_ahead {
            self.compact();
            self.buf.shrink_to(self.read_ahead);
        }
    }

    /// The next frame, or `None` if the peer closed the stream between frames.
    /// Not cancel-safe: a frame cut by cancellation is lost.
    pub async fn next(&mut self) -> Result<Option<Incoming>, ConnError> {
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.read_frame()).await {
            Ok(frame) => frame,
            Err(_) => Err(ConnError::Timeout(limit)),
        }
    }

    /// Like [`FrameReader::next`], without a deadline: for a reply that may
    /// come at any moment of a long upload (the caller bounds the wait once
    /// the upload is sent).
    pub async fn next_untimed(&mut self) -> Result<Option<Incoming>, ConnError> {
        self.read_frame().await
    }

    fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Move the unread bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Read what has arrived into the read-ahead buffer; 0 at the end of
    /// the stream. Only called with fewer than a header's bytes buffered,
    /// so there is always room.
    async fn fill(&mut self) -> io::Result<usize> {
        self.compact();
        let room = self.read_ahead.saturating_sub(self.buf.len());
        self.buf.reserve_exact(room);
        (&mut self.inner)
            .take(room as u64)
            .read_buf(&mut self.buf)
            .await
    }

    async fn read_frame(&mut self) -> Result<Option<Incoming>, ConnError> {
        while self.buffered() < HEADER_LEN {
            if self.fill().await? == 0 {
                return match self.buffered() {
                    0 => Ok(None),
                    _ => Err(ConnError::Truncated),
                };
            }
        }
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(&self.buf[self.start..self.start + HEADER_LEN]);
        let (kind, len) = wire::parse_header(header)?;
        if len > self.max_body {
            return Err(WireError::TooLong {
                kind: wire::KindName(kind),
                len: u32::try_from(len).unwrap_or(u32::MAX),
                limit: self.max_body,
            }
            .into());
        }
        self.start += HEADER_LEN;
        let body = self.read_body(len).await?;
        if kind == wire::kind::DATA {
            return Ok(Some(Incoming::Data(body)));
        }
        Ok(Some(Incoming::Message(Message::decode(kind, &body)?)))
    }

    /// The next `len` bytes: from the read-ahead buffer, and what is not
    /// there yet straight from the socket into a body that grows as it
    /// arrives.
    async fn read_body(&mut self, len: usize) -> Result<Vec<u8>, ConnError> {
        let have = self.buffered().min(len);
        let mut body = Vec::with_capacity(if have == len { len } else { grown(have, len) });
        body.extend_from_slice(&self.buf[self.start..self.start + have]);
        self.start += have;
        while body.len() < len {
            if body.len() == body.capacity() {
                body.reserve_exact(grown(body.len(), len) - body.len());
            }
            let left = (len - body.len()) as u64;
            if (&mut self.inner).take(left).read_buf(&mut body).await? == 0 {
                return Err(ConnError::Truncated);
            }
        }
        Ok(body)
    }

    /// Read and discard whatever the peer still sends, for at most `within`
    /// or until it closes. Used after refusing a peer: closing a socket with
    /// unread data makes the kernel send a reset, and the peer would read
    /// "connection reset" instead of our reason.
    pub async fn drain(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        // The read-ahead buffer is the sink: draining costs no memory.
        self.buf.clear();
        self.start = 0;
        while let Ok(Ok(1..)) = tokio::time::timeout_at(deadline, self.fill()).await {
            self.buf.clear();
        }
    }

    /// The next frame, which must be a message (not data).
    pub async fn message(&mut self) -> Result<Option<Message>, ConnError> {
        match self.next().await? {
            None => Ok(None),
            Some(Incoming::Message(m)) => Ok(Some(m)),
            Some(Incoming::Data(_)) => {
                Err(ConnError::Wire(WireError::UnknownKind(wire::kind::DATA)))
            }
        }
    }
}

/// The capacity for a body of `len` bytes of which `have` have arrived: four
/// times that, at least a read-ahead's worth, at most `len`. Few
/// reallocations for a large chunk that streams in, and a peer that
/// announces a megabyte and sends a byte costs 64 KiB, not the megabyte.
fn grown(have: usize, len: usize) -> usize {
    have.saturating_mul(4).max(READ_AHEAD).min(len)
}

/// The writing half of a framed connection.
pub struct FrameWriter<W> {
    inner: W,
    timeout: Duration,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Write frames to `inner`; each write must complete within `timeout`.
    pub fn new(inner: W, timeout: Duration) -> Self {
        Self { inner, timeout }
    }

    /// Send one message.
    pub async fn send(&mut self, message: &Message) -> Result<(), ConnError> {
        let frame = message.encode()?;
        self.send_frame(&frame).await
    }

    /// Send bytes that already are whole frames (a data chunk with its header).
    pub async fn send_frame(&mut self, frame: &[u8]) -> Result<(), ConnError> {
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.inner.write_all(frame)).await {
            Ok(written) => Ok(written?),
            Err(_) => Err(ConnError::WriteTimeout(limit)),
        }
    }

    /// Flush and close our sending side; the peer reads end-of-stream.
    pub async fn shutdown(&mut self) -> Result<(), ConnError> {
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.inner.shutdown()).await {
            Ok(done) => Ok(done?),
            Err(_) => Err(ConnError::WriteTimeout(limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[tokio::test]
    async fn frames_split_across_writes_are_reassembled() {
        let (ours, mut theirs) = duplex(64);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        let frame = Message::Ready { offset: 7 }.encode().expect("encodes");
        let writer = tokio::spawn(async move {
            for byte in frame {
                theirs.write_all(&[byte]).await.expect("write");
            }
            theirs
        });
        assert_eq!(
            reader.next().await.expect("valid"),
            Some(Incoming::Message(Message::Ready { offset: 7 }))
        );
        drop(writer.await);
    }

    #[tokio::test]
    async fn end_of_stream_between_frames_is_none_and_inside_one_is_an_error() {
        let (ours, mut theirs) = duplex(64);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        theirs
            .write_all(&[b'D', 0, 0, 0, 3, 1, 2, 3])
            .await
            .expect("write");
        theirs
            .write_all(&[b'D', 0, 0, 0, 3, 1])
            .await
            .expect("write");
        drop(theirs);
        assert_eq!(
            reader.next().await.expect("valid"),
            Some(Incoming::Data(vec![1, 2, 3]))
        );
        assert!(matches!(reader.next().await, Err(ConnError::Truncated)));

        let (ours, theirs) = duplex(64);
        drop(theirs);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        assert!(reader.next().await.expect("clean end").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_times_out() {
        let (ours, _theirs) = duplex(64);
        let mut reader = FrameReader::new(ours, Duration::from_secs(30));
        assert!(matches!(
            reader.next().await,
            Err(ConnError::Timeout(d)) if d == Duration::from_secs(30)
        ));
    }

    #[tokio::test]
    async fn chunks_larger_than_the_read_ahead_arrive_whole_and_in_step() {
        let (ours, mut theirs) = duplex(8 * 1024);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let small = vec![7u8; 16 * 1024];
        let mut stream = Vec::new();
        for chunk in [&big, &small, &big] {
            stream.extend_from_slice(&wire::data_header(chunk.len()));
            stream.extend_from_slice(chunk);
        }
        stream.extend_from_slice(&Message::End.encode().expect("encodes"));
        let writer = tokio::spawn(async move {
            theirs.write_all(&stream).await.expect("write");
        });
        for expected in [&big, &small, &big] {
            assert!(
                matches!(reader.next().await, Ok(Some(Incoming::Data(d))) if d == *expected),
                "a chunk came cut or out of step"
            );
        }
        assert_eq!(
            reader.next().await.expect("valid"),
            Some(Incoming::Message(Message::End))
        );
        assert!(reader.next().await.expect("clean end").is_none());
        writer.await.expect("writer");
    }

    #[tokio::test]
    async fn a_frame_over_the_limit_set_is_refused_from_its_header() {
        let (ours, mut theirs) = duplex(64);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        reader.limit_frames(Some(1024));
        // 60 KiB announced, none of it sent: refused without waiting.
        theirs
            .write_all(&[wire::kind::AUTH, 0, 0, 0xf0, 0])
            .await
            .expect("write");
        assert!(matches!(
            reader.next().await,
            Err(ConnError::Wire(WireError::TooLong { limit: 1024, .. }))
        ));
    }

    #[tokio::test]
    async fn lifting_the_limit_admits_the_protocols_own_sizes() {
        let (ours, mut theirs) = duplex(64 * 1024);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        reader.limit_frames(Some(1024));
        let proof = Message::Proof { proof: [3; 32] };
        let chunk = vec![9u8; 40 * 1024];
        let mut stream = proof.encode().expect("encodes");
        stream.extend_from_slice(&wire::data_header(chunk.len()));
        stream.extend_from_slice(&chunk);
        theirs.write_all(&stream).await.expect("write");
        assert_eq!(
            reader.next().await.expect("valid"),
            Some(Incoming::Message(proof))
        );
        reader.limit_frames(None);
        assert_eq!(
            reader.next().await.expect("valid"),
            Some(Incoming::Data(chunk))
        );
    }

    #[tokio::test]
    async fn a_huge_announced_frame_is_refused_before_its_body() {
        let (ours, mut theirs) = duplex(64);
        let mut reader = FrameReader::new(ours, Duration::from_secs(5));
        // 4 GB announced, no body sent: the reader must not wait for it.
        theirs
            .write_all(&[b'D', 0xff, 0xff, 0xff, 0xff])
            .await
            .expect("write");
        assert!(matches!(
            reader.next().await,
            Err(ConnError::Wire(WireError::TooLong { .. }))
        ));
    }
}

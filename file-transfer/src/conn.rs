//! A framed connection: whole frames in, whole frames out, each with a deadline.
//!
//! [`FrameReader`] turns the byte stream into [`Incoming`] frames: a message
//! or a chunk of data. It reads the 5-byte header first and checks the
//! announced length against the limit of its kind before reading (or
//! allocating) the body. A clean end of stream *between* frames is `None`; an
//! end in the middle of a frame is an error, which is how a receiver tells a
//! broken transfer from a finished one.
//!
//! Every read and write has a deadline: a peer that goes silent (or stops
//! reading) costs the other side at most that long. The two halves are
//! separate so that a client can watch for an early refusal while it sends.

use crate::wire::{self, HEADER_LEN, Message, WireError};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

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

/// The reading half of a framed connection.
pub struct FrameReader<R> {
    inner: BufReader<R>,
    timeout: Duration,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Read frames from `inner`, waiting at most `timeout` for each.
    pub fn new(inner: R, timeout: Duration) -> Self {
        Self {
            // Large enough that a 16 KiB chunk and its header arrive in one read.
            inner: BufReader::with_capacity(64 * 1024, inner),
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

    async fn read_frame(&mut self) -> Result<Option<Incoming>, ConnError> {
        let mut header = [0u8; HEADER_LEN];
        let first = self.inner.read(&mut header[..1]).await?;
        if first == 0 {
            return Ok(None);
        }
        self.read_exact(&mut header[1..]).await?;
        let (kind, len) = wire::parse_header(header)?;
        let mut body = vec![0u8; len];
        self.read_exact(&mut body).await?;
        if kind == wire::kind::DATA {
            return Ok(Some(Incoming::Data(body)));
        }
        Ok(Some(Incoming::Message(Message::decode(kind, &body)?)))
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ConnError> {
        match self.inner.read_exact(buf).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(ConnError::Truncated),
            Err(e) => Err(e.into()),
        }
    }

    /// Read and discard whatever the peer still sends, for at most `within`
    /// or until it closes. Used after refusing a peer: closing a socket with
    /// unread data makes the kernel send a reset, and the peer would read
    /// "connection reset" instead of our reason.
    pub async fn drain(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        let mut sink = vec![0u8; 64 * 1024];
        while let Ok(Ok(1..)) = tokio::time::timeout_at(deadline, self.inner.read(&mut sink)).await
        {
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

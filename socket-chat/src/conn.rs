//! A connection that sends and receives whole messages over a byte stream.
//!
//! [`Connection`] wraps any stream socket (TCP or Unix) with a read buffer and
//! the framing of [`crate::wire`]. Reading is the subtle part:
//!
//! * bytes are appended to the buffer as they arrive, and every complete
//!   message in it is handed out in order;
//! * in text framing, a partial line that stays unterminated for
//!   [`PAUSE_ENDS_MESSAGE`] after its last byte is handed out as a whole
//!   message. This is the rule that serves the course's Python client, which
//!   sends `Olá` with no newline and then blocks in `recv` for the answer;
//! * [`Connection::recv`] is cancel-safe: everything read is kept in the
//!   buffer, so it can sit in a `tokio::select!` beside other events (the
//!   chat does exactly that with the operator's keyboard);
//! * the buffer is bounded before the bytes arrive: it starts at
//!   [`INITIAL_BUFFER`], grows only as bytes really arrive (never to the
//!   length a frame announces), never past one largest message with its
//!   framing ([`wire::max_frame_len`]), and goes back to [`INITIAL_BUFFER`]
//!   once a big message has been handed out (a `BytesMut` keeps its capacity
//!   otherwise, and one 64 KiB message would cost 64 KiB for the life of the
//!   connection).

use crate::wire::{self, Codec, Frame, FrameError};
use bytes::BytesMut;
use common::message::ChatMessage;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout, timeout_at};

/// How long a text line may stay unterminated, while the sender sends
/// nothing more, before it counts as a complete message.
pub const PAUSE_ENDS_MESSAGE: Duration = Duration::from_millis(20);

/// The read buffer a connection starts with and returns to.
pub const INITIAL_BUFFER: usize = 4 * 1024;

/// After refusing a peer, how long to keep reading (and discarding) what it
/// still sends, so that it reads our error instead of a connection reset.
const LINGER: Duration = Duration::from_secs(2);

/// Why a connection could not deliver a message.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The socket failed (reset by the peer, broken pipe, ...).
    #[error("connection error: {0}")]
    Io(#[from] io::Error),
    /// The peer sent bytes that are not a valid message.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The peer sent no complete message within the time it had.
    #[error("no complete message within {} s", .0.as_secs_f64())]
    Silent(Duration),
}

/// A stream socket speaking in whole messages.
pub struct Connection<S> {
    stream: S,
    buf: BytesMut,
    /// The most the buffer ever holds: one largest message and its framing.
    max_buffered: usize,
    /// True once the buffer has grown past [`INITIAL_BUFFER`].
    grown: bool,
    codec: Codec,
    max_message: usize,
    eof: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wrap `stream`, refusing messages longer than `max_message` bytes.
    pub fn new(stream: S, codec: Codec, max_message: usize) -> Self {
        Self {
            stream,
            buf: BytesMut::with_capacity(INITIAL_BUFFER),
            max_buffered: wire::max_frame_len(max_message),
            grown: false,
            codec,
            max_message,
            eof: false,
        }
    }

    /// The codec this connection speaks.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The next message, or `None` once the peer has closed the stream and
    /// every message it sent has been handed out. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Option<Frame>, ConnError> {
        loop {
            if let Some(frame) = wire::decode(self.codec, &mut self.buf, self.max_message)? {
                self.shrink();
                return Ok(Some(frame));
            }
            if self.eof {
                return Ok(wire::decode_rest(
                    self.codec,
                    &mut self.buf,
                    self.max_message,
                )?);
            }
            let read = if !self.buf.is_empty() && wire::pause_ends_message(self.codec) {
                match timeout(PAUSE_ENDS_MESSAGE, self.fill()).await {
                    Ok(read) => read?,
                    // The sender paused in the middle of a line: that is the message.
                    Err(_elapsed) => {
                        return Ok(wire::decode_rest(
                            self.codec,
                            &mut self.buf,
                            self.max_message,
                        )?);
                    }
                }
            } else {
                self.fill().await?
            };
            if read == 0 {
                self.eof = true;
            }
        }
    }

    /// Read what has arrived into the buffer, growing it only as needed and
    /// never past `max_buffered`. Cancel-safe (what is read stays buffered).
    async fn fill(&mut self) -> Result<usize, ConnError> {
        let room = self.max_buffered.saturating_sub(self.buf.len());
        if room == 0 {
            // Unreachable with the framings of `wire` (a full buffer always
            // holds a message or an error); reading 0 bytes would look like
            // the end of the stream.
            return Err(FrameError::TooLong {
                limit: self.max_message,
            }
            .into());
        }
        let len = self.buf.len();
        if self.buf.capacity() == len {
            // Up to the initial size (which reuses the buffer's memory once
            // earlier messages are consumed), then doubling: growth follows
            // the bytes that arrived, not a length the peer announced.
            let more = if len < INITIAL_BUFFER {
                INITIAL_BUFFER - len
            } else {
                len.min(room)
            };
            self.grown |= len + more > INITIAL_BUFFER;
            self.buf.reserve(more);
        }
        let spare = self.buf.capacity() - len;
        let limit = u64::try_from(spare.min(room)).unwrap_or(u64::MAX);
        Ok((&mut self.stream)
            .take(limit)
            .read_buf(&mut self.buf)
            .await?)
    }

    /// After a message is handed out: a buffer that grew for a big message
    /// goes back to the initial size, keeping what follows the message.
    fn shrink(&mut self) {
        if self.grown && self.buf.len() <= INITIAL_BUFFER {
            let mut fresh = BytesMut::with_capacity(INITIAL_BUFFER);
            fresh.extend_from_slice(&self.buf);
            self.buf = fresh;
            self.grown = false;
        }
    }

    /// The read buffer's memory and how much of it is used, for tests of
    /// its bounds.
    #[cfg(test)]
    fn buffer(&self) -> (usize, usize) {
        (self.buf.capacity(), self.buf.len())
    }

    /// Send one message. In text framing, `terminated` says whether to end
    /// it with `\n` (replies mirror their request).
    pub async fn send(&mut self, message: &ChatMessage, terminated: bool) -> io::Result<()> {
        let bytes = wire::encode(self.codec, message, terminated);
        self.stream.write_all(&bytes).await?;
        self.stream.flush().await
    }

    /// Send a line of text from `sender` (terminated in text framing).
    pub async fn send_text(&mut self, sender: &str, text: &str) -> io::Result<()> {
        self.send(&ChatMessage::now(sender, text), true).await
    }

    /// Close our sending side: the peer reads end-of-stream after what we sent.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.stream.shutdown().await
    }

    /// Tell the peer why we are closing, then close.
    ///
    /// The error goes out as `error: <reason>` in the connection's codec.
    /// We then keep reading and discarding what the peer still sends, for a
    /// short while: closing a socket with unread data makes the kernel send a
    /// reset, and the peer would see "connection reset" instead of our reason.
    pub async fn refuse(&mut self, reason: &str) {
        let notice = ChatMessage::now(
            crate::SERVER_SENDER,
            format!("{}{reason}", crate::ERROR_PREFIX),
        );
        if self.send(&notice, true).await.is_err() {
            return;
        }
        let _ = self.shutdown().await;
        self.buf = BytesMut::new();
        let deadline = Instant::now() + LINGER;
        // On the heap, and only now: an array here would be part of every
        // connection's task, refused or not.
        let mut sink = vec![0u8; INITIAL_BUFFER];
        while let Ok(Ok(1..)) = timeout_at(deadline, self.stream.read(&mut sink)).await {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[tokio::test(start_paused = true)]
    async fn a_paused_partial_line_is_a_message() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Text, 100);
        theirs.write_all("Olá".as_bytes()).await.expect("write");
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text, "Olá");
        assert!(!frame.terminated);
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_split_across_writes_is_one_message() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Text, 100);
        let writer = tokio::spawn(async move {
            theirs.write_all(b"Bom ").await.expect("write");
            // Shorter than the pause: still the same line.
            tokio::time::sleep(PAUSE_ENDS_MESSAGE / 2).await;
            theirs.write_all(b"dia\n").await.expect("write");
            theirs
        });
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text, "Bom dia");
        assert!(frame.terminated);
        drop(writer.await);
    }

    #[tokio::test]
    async fn end_of_stream_after_whole_lines_is_none() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Text, 100);
        theirs.write_all(b"a\nb\n").await.expect("write");
        drop(theirs);
        let a = conn.recv().await.expect("ok").expect("a");
        let b = conn.recv().await.expect("ok").expect("b");
        assert_eq!(
            (a.message.text.as_str(), b.message.text.as_str()),
            ("a", "b")
        );
        assert!(conn.recv().await.expect("ok").is_none());
    }

    #[tokio::test]
    async fn a_proto_frame_cut_by_end_of_stream_is_an_error() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Proto, 100);
        theirs.write_all(&[10, 1, 2]).await.expect("write");
        drop(theirs);
        let err = conn.recv().await.expect_err("truncated");
        assert!(matches!(
            err,
            ConnError::Frame(FrameError::Truncated { .. })
        ));
    }

    #[tokio::test]
    async fn a_length_announced_is_not_reserved_before_the_bytes_arrive() {
        let (ours, mut theirs) = duplex(1 << 20);
        let mut conn = Connection::new(ours, Codec::Proto, 1 << 20);
        let mut partial = BytesMut::new();
        prost::encoding::encode_varint(1_000_000, &mut partial);
        partial.extend_from_slice(&[b'z'; 100]);
        theirs.write_all(&partial).await.expect("write");
        let waited = timeout(Duration::from_millis(50), conn.recv()).await;
        assert!(waited.is_err(), "the frame is not complete");
        assert_eq!(conn.buffer(), (INITIAL_BUFFER, partial.len()));
    }

    #[tokio::test]
    async fn the_buffer_shrinks_back_after_a_big_message() {
        let (ours, mut theirs) = duplex(1 << 20);
        let mut conn = Connection::new(ours, Codec::Proto, 1 << 20);
        let big = ChatMessage::now("a", "b".repeat(200_000));
        let small = ChatMessage::now("a", "c");
        let mut both = wire::encode(Codec::Proto, &big, false).to_vec();
        both.extend_from_slice(&wire::encode(Codec::Proto, &small, false));
        theirs.write_all(&both).await.expect("write");
        let got = conn.recv().await.expect("ok").expect("the big one");
        assert_eq!(got.message.text.len(), 200_000);
        let (capacity, _) = conn.buffer();
        assert!(capacity <= INITIAL_BUFFER, "still {capacity} bytes");
        let got = conn.recv().await.expect("ok").expect("the small one");
        assert_eq!(got.message.text, "c");
    }

    #[tokio::test]
    async fn an_endless_line_is_buffered_only_up_to_one_message() {
        let (ours, mut theirs) = duplex(1 << 20);
        let max = 10_000;
        let mut conn = Connection::new(ours, Codec::Text, max);
        let writer = tokio::spawn(async move {
            let _ = theirs.write_all(&[b'a'; 100_000]).await;
            theirs
        });
        let err = conn.recv().await.expect_err("too long");
        assert!(matches!(err, ConnError::Frame(FrameError::TooLong { .. })));
        let (_, len) = conn.buffer();
        assert!(len <= wire::max_frame_len(max), "{len} bytes buffered");
        drop(conn);
        drop(writer.await);
    }

    #[tokio::test]
    async fn refuse_sends_the_reason_before_closing() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Text, 100);
        let refusing = tokio::spawn(async move { conn.refuse("message is too long").await });
        let mut got = String::new();
        theirs.read_to_string(&mut got).await.expect("read");
        assert_eq!(got, "error: message is too long\n");
        drop(theirs);
        refusing.await.expect("refuse finished");
    }
}

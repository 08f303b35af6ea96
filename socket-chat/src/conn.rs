//! A connection that sends and receives whole messages over a byte stream.
//!
//! [`Connection`] wraps any stream socket (TCP or Unix) with a read buffer and
//! the framing of [`crate::wire`]. Reading is the subtle part:
//!
//! * bytes are appended to the buffer as they arrive, and every complete
//!   message in it is handed out in order;
//! * in text framing, a connection the server accepted
//!   ([`Connection::accepted`]) takes its [`TextFraming`] from its first
//!   read, and keeps it: lines if that read holds a newline, else the
//!   slides' protocol, where the end of a read ends a message. So the
//!   course's Python client, which sends `Olá` with no newline and then
//!   blocks in `recv`, is answered as soon as its bytes are read, and no
//!   timer is involved anywhere; a line-framed connection never splits a
//!   line, however slowly it arrives. A read is everything the socket holds
//!   at that moment: a read that fills the buffer is followed at once by
//!   another, without waiting, as long as bytes are there (and the buffer
//!   below its bound), so a message's end does not depend on the buffer's
//!   size. Our own client sends lines and reads lines ([`Connection::new`]);
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

use crate::wire::{self, Codec, Frame, FrameError, TextFraming};
use bytes::BytesMut;
use common::message::ChatMessage;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

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

/// How a connection cuts its stream into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Length-delimited protobuf frames.
    Proto,
    /// Text, in the framing decided.
    Text(TextFraming),
    /// Text, until the first read decides the framing.
    FirstReadDecides,
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
    cut: Cut,
    max_message: usize,
    eof: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wrap `stream`, refusing messages longer than `max_message` bytes.
    /// Text is framed by lines: the client's side, which sends lines and
    /// reads the replies to them.
    pub fn new(stream: S, codec: Codec, max_message: usize) -> Self {
        let cut = match codec {
            Codec::Text => Cut::Text(TextFraming::Lines),
            Codec::Proto => Cut::Proto,
        };
        Self::with_cut(stream, codec, cut, max_message)
    }

    /// Wrap `stream`, a connection a server accepted: in text framing its
    /// first read decides how it is framed ([`TextFraming::from_first_read`]),
    /// so that the slides' client, which sends no newline, is served too.
    pub fn accepted(stream: S, codec: Codec, max_message: usize) -> Self {
        let cut = match codec {
            Codec::Text => Cut::FirstReadDecides,
            Codec::Proto => Cut::Proto,
        };
        Self::with_cut(stream, codec, cut, max_message)
    }

    fn with_cut(stream: S, codec: Codec, cut: Cut, max_message: usize) -> Self {
        Self {
            stream,
            buf: BytesMut::with_capacity(INITIAL_BUFFER),
            max_buffered: wire::max_frame_len(max_message),
            grown: false,
            codec,
            cut,
            max_message,
            eof: false,
        }
    }

    /// The codec this connection speaks.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The text framing this connection speaks: `None` in protobuf, and
    /// before the first read of a connection that it decides.
    pub fn text_framing(&self) -> Option<TextFraming> {
        match self.cut {
            Cut::Text(framing) => Some(framing),
            Cut::Proto | Cut::FirstReadDecides => None,
        }
    }

    /// The next message, or `None` once the peer has closed the stream and
    /// every message it sent has been handed out. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Option<Frame>, ConnError> {
        loop {
            if self.cut == Cut::FirstReadDecides && !self.buf.is_empty() {
                // Nothing has been taken out yet: the buffer is the first read.
                self.cut = Cut::Text(TextFraming::from_first_read(&self.buf));
            }
            let frame = match self.cut {
                Cut::Proto => wire::decode(Codec::Proto, &mut self.buf, self.max_message)?,
                Cut::Text(framing) => wire::decode_text(framing, &mut self.buf, self.max_message)?,
                Cut::FirstReadDecides => None,
            };
            if let Some(frame) = frame {
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
            self.read().await?;
        }
    }

    /// One read: wait for bytes, then, where the end of a read can end a
    /// message, take whatever else the socket already holds without waiting,
    /// so that the message's end is the sender's, not the buffer's size.
    /// Cancel-safe: only the first step waits.
    async fn read(&mut self) -> Result<(), ConnError> {
        let mut read = self.fill().await?;
        let reads_end_messages = matches!(
            self.cut,
            Cut::FirstReadDecides | Cut::Text(TextFraming::Reads)
        );
        while reads_end_messages
            && read > 0
            && self.buf.len() == self.buf.capacity()
            && self.buf.len() < self.max_buffered
        {
            // The read filled the buffer: more may be there. `biased` polls
            // the read once; if it has nothing now, the read is over.
            read = tokio::select! {
                biased;
                more = self.fill() => more?,
                () = std::future::ready(()) => break,
            };
        }
        if read == 0 {
            self.eof = true;
        }
        Ok(())
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
    use tokio::time::timeout;

    /// An hour, in the tests' paused time: longer than any pause a timer
    /// could have waited for.
    const AN_HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test(start_paused = true)]
    async fn a_first_read_without_newline_is_a_message_with_no_time_passing() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::accepted(ours, Codec::Text, 100);
        theirs.write_all("Olá".as_bytes()).await.expect("write");
        let before = Instant::now();
        let frame = conn.recv().await.expect("ok").expect("a message");
        // Paused time moves only when the runtime waits for a timer: had
        // the message waited for a pause, the clock would show it.
        assert_eq!(Instant::now(), before);
        assert_eq!(frame.message.text, "Olá");
        assert!(!frame.terminated);
        assert_eq!(conn.text_framing(), Some(TextFraming::Reads));
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_framed_connection_waits_for_the_newline_however_long() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::accepted(ours, Codec::Text, 100);
        theirs.write_all(b"Ol\xc3\xa1\n").await.expect("write");
        let first = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(first.message.text, "Olá");
        assert_eq!(conn.text_framing(), Some(TextFraming::Lines));
        let writer = tokio::spawn(async move {
            theirs.write_all(b"Hel").await.expect("write");
            tokio::time::sleep(AN_HOUR).await;
            theirs.write_all(b"lo world\n").await.expect("write");
            theirs
        });
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text, "Hello world");
        assert!(frame.terminated);
        drop(writer.await);
    }

    #[tokio::test(start_paused = true)]
    async fn in_the_slides_protocol_a_read_cut_inside_a_character_waits_for_its_rest() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::accepted(ours, Codec::Text, 100);
        let writer = tokio::spawn(async move {
            theirs.write_all(b"Ol\xc3").await.expect("write");
            tokio::time::sleep(AN_HOUR).await;
            theirs.write_all(b"\xa1").await.expect("write");
            theirs
        });
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text, "Olá");
        assert!(!frame.terminated);
        drop(writer.await);
    }

    #[tokio::test]
    async fn a_read_that_fills_the_buffer_takes_what_else_is_there() {
        // 10,000 bytes written at once, more than the 4 KiB buffer: one
        // message, not three cut by the buffer's size.
        let (ours, mut theirs) = duplex(1 << 20);
        let mut conn = Connection::accepted(ours, Codec::Text, 20_000);
        theirs.write_all(&[b'a'; 10_000]).await.expect("write");
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text.len(), 10_000);
        let (capacity, len) = conn.buffer();
        assert_eq!((capacity, len), (INITIAL_BUFFER, 0));
    }

    #[tokio::test]
    async fn the_client_side_reads_lines_only() {
        let (ours, mut theirs) = duplex(1024);
        let mut conn = Connection::new(ours, Codec::Text, 100);
        theirs.write_all(b"Eco=>Ol").await.expect("write");
        let waited = timeout(Duration::from_millis(50), conn.recv()).await;
        assert!(waited.is_err(), "no newline yet");
        theirs.write_all(b"\xc3\xa1\n").await.expect("write");
        let frame = conn.recv().await.expect("ok").expect("a message");
        assert_eq!(frame.message.text, "Eco=>Olá");
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

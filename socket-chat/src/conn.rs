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
//!   chat does exactly that with the operator's keyboard).

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
}

/// A stream socket speaking in whole messages.
pub struct Connection<S> {
    stream: S,
    buf: BytesMut,
    codec: Codec,
    max_message: usize,
    eof: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wrap `stream`, refusing messages longer than `max_message` bytes.
    pub fn new(stream: S, codec: Codec, max_message: usize) -> Self {
        Self {
            stream,
            buf: BytesMut::with_capacity(4096),
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
                match timeout(PAUSE_ENDS_MESSAGE, self.stream.read_buf(&mut self.buf)).await {
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
                self.stream.read_buf(&mut self.buf).await?
            };
            if read == 0 {
                self.eof = true;
            }
        }
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
        let notice = ChatMessage::now(crate::SERVER_SENDER, format!("error: {reason}"));
        if self.send(&notice, true).await.is_err() {
            return;
        }
        let _ = self.shutdown().await;
        self.buf.clear();
        let deadline = Instant::now() + LINGER;
        let mut sink = [0u8; 16 * 1024];
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

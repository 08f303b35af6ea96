//! The wire format: how messages are cut out of a byte stream and put back.
//!
//! TCP and Unix stream sockets carry a *stream of bytes*, not messages: one
//! `send` on one side may arrive as two `recv`s on the other, and two `send`s
//! may arrive as one. A protocol must therefore say where a message ends.
//! This module holds the two framings `socket-chat` speaks, as pure functions
//! over a buffer (no sockets, so they are unit-tested directly):
//!
//! * **text**: a message is a line of UTF-8 ending in `\n` (a `\r` before it
//!   is dropped), which is what `nc` and a terminal send. The course's Python
//!   client sends no terminator at all (`sockobj.send(msg.encode())`) and
//!   blocks in `recv` for the answer, as the slides' server (`recv(1024)`,
//!   each read a message) expects. No timer can tell that client from a line
//!   still arriving, so a server's connection decides once, from its first
//!   read ([`TextFraming::from_first_read`]): a newline in it makes the
//!   connection [`TextFraming::Lines`] for its life (a partial line waits for
//!   its newline, however long); none makes it [`TextFraming::Reads`], the
//!   slides' protocol, where the end of a read also ends a message. A reply
//!   mirrors its request: it ends in `\n` only if the request did, so the
//!   slide's client prints exactly `Eco=>Olá`.
//! * **proto**: every message is a Protocol Buffers `ChatMessage`
//!   (`proto/chat.proto`) preceded by its length as a varint.
//!
//! Over UDP the datagram itself is the frame: [`decode_datagram`] and
//! [`encode_datagram`] use the same two encodings without any delimiter.
//!
//! In the chat, a client must tell the server's own lines (notices, errors)
//! from what a person typed, which may look the same (`* bom dia`). In
//! protobuf the sender says it (`server`); a text line has only its words,
//! so a person's line that would read as the server's own is escaped, as
//! SMTP does with a line that is a lone `.` ([`person_text`], [`said`]).
//!
//! Both framings refuse a message longer than a configured maximum *before*
//! buffering it, and never reserve room for the length a peer announces, which
//! bounds the memory one connection can take to what really arrived, at most
//! [`max_frame_len`].

use crate::{ERROR_PREFIX, NOTICE_PREFIX, SERVER_SENDER};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::message::ChatMessage;
use prost::Message as _;
use std::borrow::Cow;

/// The protobuf types generated from `proto/chat.proto` by `build.rs`.
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/socketchat.rs"));
}

/// How messages are encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Codec {
    /// UTF-8 text, one message per line.
    Text,
    /// Length-delimited Protocol Buffers `ChatMessage`s.
    Proto,
}

/// How a text stream is cut into messages. A server's connection takes one
/// from its first read ([`TextFraming::from_first_read`]) and keeps it; our
/// client, which sends lines, reads lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFraming {
    /// A message is a line ending in `\n`. A partial line waits for its
    /// newline however long it takes (within the server's idle `--timeout`):
    /// a line is never split, however it arrives.
    Lines,
    /// The slides' protocol, as Python's `recv` sees it: a message ends at a
    /// newline or at the end of a read, whichever comes first. A read that
    /// ends inside a UTF-8 character does not end a message: the rest of
    /// the character (at most 3 bytes) is waited for.
    Reads,
}

impl TextFraming {
    /// The framing of a connection whose first read brought `first`: lines
    /// if it holds a newline, the slides' protocol if not.
    ///
    /// ```
    /// use socket_chat::wire::TextFraming;
    /// assert_eq!(TextFraming::from_first_read(b"Ol\xc3\xa1\n"), TextFraming::Lines);
    /// assert_eq!(TextFraming::from_first_read(b"a\nb"), TextFraming::Lines);
    /// assert_eq!(TextFraming::from_first_read(b"Ol\xc3\xa1"), TextFraming::Reads);
    /// ```
    pub fn from_first_read(first: &[u8]) -> Self {
        if first.contains(&b'\n') {
            Self::Lines
        } else {
            Self::Reads
        }
    }
}

/// Default maximum size of one message, in bytes (64 KiB).
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// The most bytes of framing around a message: a varint length prefix
/// takes at most 10, a text line's `\r\n` 2.
pub const MAX_FRAMING: usize = 10;

/// The most bytes one message of at most `max` bytes takes on a stream,
/// framing included: a connection never needs to buffer more than this.
pub fn max_frame_len(max: usize) -> usize {
    max.saturating_add(MAX_FRAMING)
}

/// The largest payload a UDP datagram can carry over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Why bytes from a peer could not be turned into a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The message is longer than the configured maximum.
    #[error("message is longer than the limit of {limit} bytes")]
    TooLong { limit: usize },
    /// A text message holds bytes that are not UTF-8.
    #[error("message is not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 { offset: usize },
    /// The length prefix of a protobuf frame is not a valid varint.
    #[error("the length prefix of a protobuf frame is not a valid varint")]
    BadLength,
    /// The bytes of a protobuf frame do not decode as a `ChatMessage`.
    #[error("the frame is not a valid protobuf ChatMessage: {0}")]
    BadProto(String),
    /// The stream ended in the middle of a length-delimited frame.
    #[error("the connection closed in the middle of a message ({got} of {expected} bytes)")]
    Truncated { got: usize, expected: usize },
}

/// One message taken off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The message. In text framing only `text` travels: `sender` is empty
    /// and `sent_at_ms` is the time it was received.
    pub message: ChatMessage,
    /// Text framing only: whether the line ended with `\n`. Replies mirror it.
    pub terminated: bool,
}

impl Frame {
    fn text(text: String, terminated: bool) -> Self {
        Self {
            message: ChatMessage::now("", text),
            terminated,
        }
    }
}

/// Take one complete message from the front of `buf`, if it holds one; text
/// is framed by lines ([`TextFraming::Lines`]).
///
/// Returns `Ok(None)` when more bytes are needed. Consumed bytes are removed
/// from `buf`; on error the connection should be closed, as the stream can no
/// longer be trusted to be in step.
pub fn decode(codec: Codec, buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, FrameError> {
    match codec {
        Codec::Text => decode_line(buf, max),
        Codec::Proto => decode_length_delimited(buf, max),
    }
}

/// Take one complete text message from the front of `buf` in `framing`.
///
/// With [`TextFraming::Reads`], `buf` must hold only what reads that have
/// ended brought (a connection decodes between reads, never during one):
/// what follows the last newline is then a message of its own, unless it
/// ends inside a UTF-8 character, whose rest is waited for.
///
/// ```
/// use bytes::BytesMut;
/// use socket_chat::wire::{TextFraming, decode_text};
/// let mut read = BytesMut::from(&b"a\nOl\xc3"[..]);
/// let a = decode_text(TextFraming::Reads, &mut read, 100).unwrap().unwrap();
/// assert_eq!((a.message.text.as_str(), a.terminated), ("a", true));
/// // The read ended inside `á`: wait for the rest of the character.
/// assert_eq!(decode_text(TextFraming::Reads, &mut read, 100), Ok(None));
/// read.extend_from_slice(b"\xa1");
/// let ola = decode_text(TextFraming::Reads, &mut read, 100).unwrap().unwrap();
/// assert_eq!((ola.message.text.as_str(), ola.terminated), ("Olá", false));
/// ```
pub fn decode_text(
    framing: TextFraming,
    buf: &mut BytesMut,
    max: usize,
) -> Result<Option<Frame>, FrameError> {
    let line = decode_line(buf, max)?;
    if line.is_some() || framing == TextFraming::Lines || buf.is_empty() {
        return Ok(line);
    }
    // No newline in what was read: the end of the read ends the message,
    // unless it cut a character in two.
    let text = match std::str::from_utf8(buf) {
        Ok(text) => text.to_owned(),
        // At most 3 bytes of a character whose rest is still to come.
        Err(e) if e.error_len().is_none() => return Ok(None),
        Err(e) => {
            return Err(FrameError::InvalidUtf8 {
                offset: e.valid_up_to(),
            });
        }
    };
    buf.clear();
    Ok(Some(Frame::text(text, false)))
}

/// Take what is left in `buf` as a final message, when the peer closed the
/// stream in the middle of one.
///
/// In text framing the partial line is the message (unterminated). In proto
/// framing a partial frame cannot be used: that is [`FrameError::Truncated`].
pub fn decode_rest(
    codec: Codec,
    buf: &mut BytesMut,
    max: usize,
) -> Result<Option<Frame>, FrameError> {
    if buf.is_empty() {
        return Ok(None);
    }
    match codec {
        Codec::Text => {
            let line = buf.split();
            check_len(line.len(), max)?;
            Ok(Some(Frame::text(utf8(&line)?, false)))
        }
        Codec::Proto => match read_varint(buf)? {
            Some((len, prefix)) => Err(FrameError::Truncated {
                got: buf.len() - prefix,
                expected: usize::try_from(len).unwrap_or(usize::MAX),
            }),
            None => Err(FrameError::Truncated {
                got: 0,
                expected: 0,
            }),
        },
    }
}

fn decode_line(buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, FrameError> {
    let Some(newline) = buf.iter().position(|&b| b == b'\n') else {
        // No end yet: refuse now rather than buffer an endless line.
        check_len(buf.len(), max)?;
        return Ok(None);
    };
    let mut line = buf.split_to(newline + 1);
    line.truncate(newline);
    if line.last() == Some(&b'\r') {
        line.truncate(line.len() - 1);
    }
    check_len(line.len(), max)?;
    Ok(Some(Frame::text(utf8(&line)?, true)))
}

fn decode_length_delimited(buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, FrameError> {
    let Some((len, prefix)) = read_varint(buf)? else {
        return Ok(None);
    };
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    check_len(len, max)?;
    if buf.len() - prefix < len {
        // Wait for the rest. Nothing is reserved for it here: the length is
        // only what the peer claims, and the buffer grows as bytes arrive.
        return Ok(None);
    }
    buf.advance(prefix);
    let body = buf.split_to(len);
    let message =
        pb::ChatMessage::decode(body.freeze()).map_err(|e| FrameError::BadProto(e.to_string()))?;
    Ok(Some(Frame {
        message: from_pb(message),
        terminated: false,
    }))
}

/// Read a varint at the start of `buf` without consuming it: the value and
/// how many bytes it takes, or `None` if it is not complete yet.
fn read_varint(buf: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
    let mut value: u64 = 0;
    for (i, &byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 10 {
        Err(FrameError::BadLength)
    } else {
        Ok(None)
    }
}

fn check_len(len: usize, max: usize) -> Result<(), FrameError> {
    if len > max {
        Err(FrameError::TooLong { limit: max })
    } else {
        Ok(())
    }
}

fn utf8(bytes: &[u8]) -> Result<String, FrameError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| FrameError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })
}

/// Encode `message` for a stream. In text framing only its text is sent,
/// followed by `\n` when `terminated`.
pub fn encode(codec: Codec, message: &ChatMessage, terminated: bool) -> Bytes {
    match codec {
        Codec::Text => {
            let mut out = BytesMut::with_capacity(message.text.len() + 1);
            out.put_slice(message.text.as_bytes());
            if terminated {
                out.put_u8(b'\n');
            }
            out.freeze()
        }
        Codec::Proto => {
            let message = to_pb(message);
            let mut out = BytesMut::with_capacity(message.encoded_len() + 10);
            // Writing into a BytesMut with enough capacity cannot fail.
            let _ = message.encode_length_delimited(&mut out);
            out.freeze()
        }
    }
}

/// Decode one UDP datagram: the whole datagram is the message. A text
/// datagram may end in `\n` (as `nc -u` sends it), which is mirrored.
pub fn decode_datagram(codec: Codec, datagram: &[u8], max: usize) -> Result<Frame, FrameError> {
    check_len(datagram.len(), max)?;
    match codec {
        Codec::Text => {
            let (body, terminated) = match datagram.strip_suffix(b"\n") {
                Some(body) => (body.strip_suffix(b"\r").unwrap_or(body), true),
                None => (datagram, false),
            };
            Ok(Frame::text(utf8(body)?, terminated))
        }
        Codec::Proto => {
            let message = pb::ChatMessage::decode(datagram)
                .map_err(|e| FrameError::BadProto(e.to_string()))?;
            Ok(Frame {
                message: from_pb(message),
                terminated: false,
            })
        }
    }
}

/// Encode `message` as one UDP datagram.
pub fn encode_datagram(codec: Codec, message: &ChatMessage, terminated: bool) -> Bytes {
    match codec {
        Codec::Text => encode(Codec::Text, message, terminated),
        Codec::Proto => Bytes::from(to_pb(message).encode_to_vec()),
    }
}

/// The length of `message` as the limit counts it: the line without its
/// terminator, or the protobuf message without its length prefix.
pub fn message_len(codec: Codec, message: &ChatMessage) -> usize {
    match codec {
        Codec::Text => message.text.len(),
        Codec::Proto => to_pb(message).encoded_len(),
    }
}

/// Put before a person's text line that would otherwise read as the
/// server's own; the reader removes it.
pub const ESCAPE: char = '\\';

/// A chat message as its reader must take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// The server's own: a notice (`* ...`) or an error (`error: ...`).
    Server(String),
    /// What a person typed, exactly.
    Person(String),
}

/// The text that carries a line a person typed: in text framing, a line
/// that begins with a notice's or an error's prefix, or with [`ESCAPE`]
/// itself, gets an [`ESCAPE`] in front; every other line, and every
/// protobuf message (whose sender tells who wrote it), travels as typed.
///
/// ```
/// use socket_chat::wire::{Codec, person_text};
/// assert_eq!(person_text(Codec::Text, "* bom dia"), "\\* bom dia");
/// assert_eq!(person_text(Codec::Text, "bom dia"), "bom dia");
/// assert_eq!(person_text(Codec::Proto, "* bom dia"), "* bom dia");
/// ```
pub fn person_text(codec: Codec, text: &str) -> Cow<'_, str> {
    let looks_like_the_servers = text.starts_with(NOTICE_PREFIX)
        || text.starts_with(ERROR_PREFIX)
        || text.starts_with(ESCAPE);
    if codec == Codec::Text && looks_like_the_servers {
        Cow::Owned(format!("{ESCAPE}{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Who wrote a chat message the client received, and what they wrote: the
/// reverse of [`person_text`]. In protobuf the sender `server` is the
/// server; in text a line that begins with a notice's or an error's prefix
/// is, and an [`ESCAPE`] in front of a person's line is removed.
pub fn said(codec: Codec, message: ChatMessage) -> Said {
    let text = message.text;
    match codec {
        Codec::Proto if message.sender == SERVER_SENDER => Said::Server(text),
        Codec::Proto => Said::Person(text),
        Codec::Text => match text.strip_prefix(ESCAPE) {
            Some(escaped) => Said::Person(escaped.to_owned()),
            None if text.starts_with(NOTICE_PREFIX) || text.starts_with(ERROR_PREFIX) => {
                Said::Server(text)
            }
            None => Said::Person(text),
        },
    }
}

fn to_pb(m: &ChatMessage) -> pb::ChatMessage {
    pb::ChatMessage {
        sender: m.sender.clone(),
        text: m.text.clone(),
        sent_at_ms: m.sent_at_ms,
    }
}

fn from_pb(m: pb::ChatMessage) -> ChatMessage {
    ChatMessage {
        sender: m.sender,
        text: m.text,
        sent_at_ms: m.sent_at_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(bytes: &[u8]) -> BytesMut {
        BytesMut::from(bytes)
    }

    fn text_of(frame: Option<Frame>) -> (String, bool) {
        let frame = frame.expect("a frame");
        (frame.message.text, frame.terminated)
    }

    #[test]
    fn a_line_is_one_message_and_crlf_is_accepted() {
        let mut b = buf(b"Ol\xc3\xa1\r\nBom dia\n");
        let first = decode(Codec::Text, &mut b, 100).expect("valid");
        assert_eq!(text_of(first), ("Olá".into(), true));
        let second = decode(Codec::Text, &mut b, 100).expect("valid");
        assert_eq!(text_of(second), ("Bom dia".into(), true));
        assert!(b.is_empty());
    }

    #[test]
    fn a_partial_line_waits_for_more() {
        let mut b = buf(b"Boa tar");
        assert_eq!(decode(Codec::Text, &mut b, 100), Ok(None));
        assert_eq!(&b[..], b"Boa tar");
    }

    #[test]
    fn the_rest_of_a_line_cut_by_the_end_of_the_stream_is_an_unterminated_message() {
        let mut b = buf("Olá".as_bytes());
        let rest = decode_rest(Codec::Text, &mut b, 100).expect("valid");
        assert_eq!(text_of(rest), ("Olá".into(), false));
        assert!(b.is_empty());
    }

    #[test]
    fn in_lines_a_partial_line_waits_whatever_the_reads() {
        let mut b = buf(b"Hel");
        assert_eq!(decode_text(TextFraming::Lines, &mut b, 100), Ok(None));
        b.extend_from_slice(b"lo world\n");
        let line = decode_text(TextFraming::Lines, &mut b, 100).expect("valid");
        assert_eq!(text_of(line), ("Hello world".into(), true));
    }

    #[test]
    fn in_reads_the_end_of_a_read_ends_a_message() {
        let mut b = buf(b"Hel");
        let first = decode_text(TextFraming::Reads, &mut b, 100).expect("valid");
        assert_eq!(text_of(first), ("Hel".into(), false));
        assert!(b.is_empty());
    }

    #[test]
    fn in_reads_a_newline_ends_a_message_too() {
        let mut b = buf(b"a\r\nb\nc");
        let mut got = Vec::new();
        while let Some(frame) = decode_text(TextFraming::Reads, &mut b, 100).expect("valid") {
            got.push(text_of(Some(frame)));
        }
        assert_eq!(
            got,
            [("a".into(), true), ("b".into(), true), ("c".into(), false)]
        );
    }

    #[test]
    fn in_reads_a_read_that_ends_inside_a_character_waits_for_its_rest() {
        // 🦀 is 4 bytes: each of the first three leaves a character to finish.
        let crab = "🦀".as_bytes();
        for cut in 1..crab.len() {
            let mut b = buf(&crab[..cut]);
            assert_eq!(decode_text(TextFraming::Reads, &mut b, 100), Ok(None));
            b.extend_from_slice(&crab[cut..]);
            let whole = decode_text(TextFraming::Reads, &mut b, 100).expect("valid");
            assert_eq!(text_of(whole), ("🦀".into(), false), "cut at {cut}");
        }
    }

    #[test]
    fn in_reads_bytes_that_no_character_begins_with_are_refused_at_once() {
        let mut b = buf(b"ab\xff");
        assert_eq!(
            decode_text(TextFraming::Reads, &mut b, 100),
            Err(FrameError::InvalidUtf8 { offset: 2 })
        );
    }

    #[test]
    fn in_reads_a_read_longer_than_the_limit_is_refused() {
        let mut b = BytesMut::from(&[b'a'; 101][..]);
        assert_eq!(
            decode_text(TextFraming::Reads, &mut b, 100),
            Err(FrameError::TooLong { limit: 100 })
        );
    }

    #[test]
    fn an_endless_line_is_refused_before_it_is_buffered_whole() {
        let mut b = BytesMut::from(&[b'a'; 101][..]);
        assert_eq!(
            decode(Codec::Text, &mut b, 100),
            Err(FrameError::TooLong { limit: 100 })
        );
    }

    #[test]
    fn a_line_at_the_limit_is_accepted() {
        let mut b = BytesMut::from(&[b'a'; 100][..]);
        b.put_u8(b'\n');
        assert!(decode(Codec::Text, &mut b, 100).expect("valid").is_some());
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_offset() {
        let mut b = buf(b"ab\xffcd\n");
        assert_eq!(
            decode(Codec::Text, &mut b, 100),
            Err(FrameError::InvalidUtf8 { offset: 2 })
        );
    }

    #[test]
    fn a_text_reply_mirrors_the_terminator() {
        let m = ChatMessage::now("server", "Eco=>Olá");
        assert_eq!(&encode(Codec::Text, &m, false)[..], "Eco=>Olá".as_bytes());
        assert_eq!(&encode(Codec::Text, &m, true)[..], "Eco=>Olá\n".as_bytes());
    }

    #[test]
    fn proto_frames_round_trip_in_pieces() {
        let m = ChatMessage {
            sender: "Maísa".into(),
            text: "Olá".into(),
            sent_at_ms: 1_700_000_000_000,
        };
        let wire = encode(Codec::Proto, &m, false);
        let mut b = BytesMut::new();
        // Feed the frame one byte at a time, as a slow network might.
        for (i, byte) in wire.iter().enumerate() {
            b.put_u8(*byte);
            let got = decode(Codec::Proto, &mut b, 100).expect("valid");
            if i + 1 < wire.len() {
                assert_eq!(got, None, "complete too early at byte {i}");
            } else {
                assert_eq!(got.expect("complete").message, m);
            }
        }
        assert!(b.is_empty());
    }

    #[test]
    fn two_proto_frames_in_one_read_are_two_messages() {
        let a = ChatMessage::now("a", "um");
        let c = ChatMessage::now("c", "dois");
        let mut b = BytesMut::new();
        b.put(encode(Codec::Proto, &a, false));
        b.put(encode(Codec::Proto, &c, false));
        let first = decode(Codec::Proto, &mut b, 100).expect("valid");
        let second = decode(Codec::Proto, &mut b, 100).expect("valid");
        assert_eq!(first.expect("first").message, a);
        assert_eq!(second.expect("second").message, c);
    }

    #[test]
    fn a_proto_length_over_the_limit_is_refused_from_the_prefix_alone() {
        // 10 MB announced, nothing sent yet: refused without waiting.
        let mut b = BytesMut::new();
        prost::encoding::encode_varint(10_000_000, &mut b);
        assert_eq!(
            decode(Codec::Proto, &mut b, 1000),
            Err(FrameError::TooLong { limit: 1000 })
        );
    }

    #[test]
    fn a_varint_longer_than_ten_bytes_is_refused() {
        let mut b = BytesMut::from(&[0xffu8; 11][..]);
        assert_eq!(
            decode(Codec::Proto, &mut b, 1000),
            Err(FrameError::BadLength)
        );
    }

    #[test]
    fn garbage_inside_a_proto_frame_is_refused() {
        // Length 3, then bytes that are not a valid protobuf message.
        let mut b = buf(&[3, 0xff, 0xff, 0xff]);
        assert!(matches!(
            decode(Codec::Proto, &mut b, 100),
            Err(FrameError::BadProto(_))
        ));
    }

    #[test]
    fn a_proto_frame_cut_short_is_truncated() {
        let wire = encode(Codec::Proto, &ChatMessage::now("a", "hello"), false);
        let mut b = BytesMut::from(&wire[..wire.len() - 2]);
        assert!(matches!(
            decode_rest(Codec::Proto, &mut b, 100),
            Err(FrameError::Truncated { .. })
        ));
    }

    #[test]
    fn a_text_datagram_keeps_its_newline_for_the_reply() {
        let frame = decode_datagram(Codec::Text, b"labi\n", 100).expect("valid");
        assert_eq!(
            (frame.message.text.as_str(), frame.terminated),
            ("labi", true)
        );
        let frame = decode_datagram(Codec::Text, b"labi", 100).expect("valid");
        assert_eq!(
            (frame.message.text.as_str(), frame.terminated),
            ("labi", false)
        );
    }

    #[test]
    fn a_proto_datagram_has_no_length_prefix() {
        let m = ChatMessage::now("a", "Olá");
        let datagram = encode_datagram(Codec::Proto, &m, false);
        assert_eq!(datagram.len(), to_pb(&m).encoded_len());
        let back = decode_datagram(Codec::Proto, &datagram, 100).expect("valid");
        assert_eq!(back.message, m);
    }

    /// What a client reads when the operator types `typed`.
    fn round_trip(codec: Codec, typed: &str) -> Said {
        let sent = ChatMessage::now("operator", person_text(codec, typed));
        said(codec, sent)
    }

    #[test]
    fn every_line_a_person_types_reads_as_typed_in_both_codecs() {
        for codec in [Codec::Text, Codec::Proto] {
            for typed in [
                "* bom dia",
                "error: nada",
                "\\",
                "\\* já escapada",
                "\\\\dupla",
                "*",
                "*negrito*",
                "error:",
                "",
                "bom dia",
            ] {
                assert_eq!(
                    round_trip(codec, typed),
                    Said::Person(typed.to_owned()),
                    "{codec:?}: {typed:?}"
                );
            }
        }
    }

    #[test]
    fn only_a_line_that_could_be_misread_is_escaped() {
        for (typed, sent) in [
            ("* bom dia", "\\* bom dia"),
            ("error: nada", "\\error: nada"),
            ("\\o/", "\\\\o/"),
            ("*negrito*", "*negrito*"),
            ("erro: nada", "erro: nada"),
            ("bom dia", "bom dia"),
        ] {
            assert_eq!(person_text(Codec::Text, typed), sent, "{typed:?}");
        }
    }

    #[test]
    fn the_servers_own_lines_are_the_servers_in_both_codecs() {
        for text in [
            "* the operator is ready; go ahead",
            "error: no complete message",
        ] {
            for codec in [Codec::Text, Codec::Proto] {
                let message = ChatMessage::now(SERVER_SENDER, text);
                assert_eq!(said(codec, message), Said::Server(text.to_owned()));
            }
        }
    }

    #[test]
    fn in_protobuf_the_sender_decides_not_the_text() {
        let message = ChatMessage::now("operator", "* bom dia");
        assert_eq!(
            said(Codec::Proto, message),
            Said::Person("* bom dia".to_owned())
        );
        let message = ChatMessage::now(SERVER_SENDER, "olá");
        assert_eq!(said(Codec::Proto, message), Said::Server("olá".to_owned()));
    }

    #[test]
    fn the_readme_byte_example_is_exact() {
        let m = ChatMessage {
            sender: "Maísa".into(),
            text: "Olá".into(),
            sent_at_ms: 1_714_000_000_000,
        };
        let hex: Vec<String> = encode(Codec::Proto, &m, false)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex.join(" "),
            "15 0a 06 4d 61 c3 ad 73 61 12 04 4f 6c c3 a1 18 80 e8 f1 92 f1 31"
        );
    }
}

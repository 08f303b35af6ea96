//! The wire format: frames, and the messages they carry.
//!
//! TCP delivers a stream of bytes, not messages, and it says nothing when a
//! transfer breaks: a peer that closes early and a peer that has finished look
//! the same to the reader (that is the flaw of the slide's client, which
//! writes whatever arrives until the connection closes). So every message here
//! is a **frame** that says what it is and how long it is:
//!
//! ```text
//! +--------+-------------------+----------------------+
//! | kind   | length            | body                 |
//! | 1 byte | 4 bytes, big end. | `length` bytes       |
//! +--------+-------------------+----------------------+
//! ```
//!
//! `kind` is an ASCII letter (so a hex dump is readable: `D` is data, `E` an
//! error). A file travels as a header frame (`U` upload or `F` file) carrying
//! its size as a 64-bit number, then `D` data frames (the chunks) that add up
//! to exactly that size. A download's header also carries the SHA-256 digest
//! (the server knows it); an upload's digest comes after the data, in a `T`
//! trailer, because the client computes it while it sends (reading the file
//! once). The receiver knows when the file is complete, knows when it is not,
//! and checks the digest at the end, before anything is replaced.
//!
//! Inside a body, numbers are big-endian, strings are a 2-byte length then
//! UTF-8 bytes, digests and nonces are 32 raw bytes. Everything here is pure:
//! [`Message::encode`] and [`Message::decode`] are unit-tested without sockets.
//!
//! A length is checked against the limit of its kind *before* the body is
//! read, so a frame announcing 4 GB costs the receiver nothing.

use std::fmt;

/// The protocol name and version the server announces in [`Message::Hello`].
pub const PROTOCOL: &str = "file-transfer/1";

/// Bytes in a frame header: the kind and the body length.
pub const HEADER_LEN: usize = 5;

/// The largest body of a data frame: 1 MiB. Chunks may be any size up to it.
pub const MAX_CHUNK: usize = 1024 * 1024;

/// The largest body of any other frame: 64 KiB (names are at most 255 bytes).
pub const MAX_CONTROL: usize = 64 * 1024;

/// The largest body of any frame before login: 1 KiB. AUTH (a name of at
/// most 64 bytes and a nonce) and PROOF (32 bytes) are far smaller, so a
/// client that has not logged in cannot make the server hold more.
pub const MAX_LOGIN_FRAME: usize = 1024;

/// Bytes in a SHA-256 digest, a nonce, a proof or a signature.
pub const DIGEST_LEN: usize = 32;

/// A SHA-256 digest (or any other 32-byte value of the protocol).
pub type Digest = [u8; DIGEST_LEN];

/// The frame kinds, one ASCII letter each.
pub mod kind {
    /// S→C, first frame: protocol name, server nonce.
    pub const HELLO: u8 = b'H';
    /// C→S: user name, client nonce.
    pub const AUTH: u8 = b'A';
    /// S→C: salt and iteration count for the user's password.
    pub const CHALLENGE: u8 = b'C';
    /// C→S: the client's proof that it knows the password.
    pub const PROOF: u8 = b'P';
    /// S→C: logged in; the server's proof that it knows the account.
    pub const WELCOME: u8 = b'W';
    /// C→S: list the files.
    pub const LIST: u8 = b'L';
    /// S→C: one file of a listing.
    pub const ENTRY: u8 = b'N';
    /// S→C: the listing is complete.
    pub const END: u8 = b'Z';
    /// C→S: download a file (from an offset, to resume).
    pub const GET: u8 = b'G';
    /// S→C: the header of a download: size, digest, where it starts.
    pub const FILE: u8 = b'F';
    /// Both ways: a chunk of file content.
    pub const DATA: u8 = b'D';
    /// C→S: the header of an upload: name, size (the digest comes after the
    /// data, in a [`TRAILER`]).
    pub const PUT: u8 = b'U';
    /// C→S: after an upload's data, the whole file's SHA-256.
    pub const TRAILER: u8 = b'T';
    /// S→C: send the upload's data, starting at this offset.
    pub const READY: u8 = b'R';
    /// S→C: the upload is verified, synced and in place.
    pub const STORED: u8 = b'S';
    /// Both ways: a refusal or a failure, with a code and a reason.
    pub const ERROR: u8 = b'E';
}

/// Error codes, after the HTTP status codes a student already knows.
pub mod code {
    /// The frame or the request is malformed (bad name, unknown kind...).
    pub const BAD_REQUEST: u16 = 400;
    /// Not logged in, or the login failed.
    pub const UNAUTHORIZED: u16 = 401;
    /// The name leads outside the served directory, or is reserved.
    pub const FORBIDDEN: u16 = 403;
    /// No such file.
    pub const NOT_FOUND: u16 = 404;
    /// Nothing arrived for too long.
    pub const TIMEOUT: u16 = 408;
    /// The announced size is over the server's limit.
    pub const TOO_LARGE: u16 = 413;
    /// A resumable upload of the same file is already in progress.
    pub const CONFLICT: u16 = 409;
    /// Too many logins from the client's address at once: this one was not
    /// checked.
    pub const TOO_MANY_LOGINS: u16 = 429;
    /// The data does not match the announced SHA-256 digest.
    pub const DIGEST_MISMATCH: u16 = 422;
    /// A failure on the server's side (disk, permissions).
    pub const SERVER: u16 = 500;
    /// The server is shutting down.
    pub const UNAVAILABLE: u16 = 503;
    /// Not enough free space for the announced size.
    pub const NO_SPACE: u16 = 507;
    /// The sending side gave up (its file changed or could not be read).
    pub const ABORTED: u16 = 499;
}

/// One message of the protocol. Data frames are not here: they are read and
/// written as raw chunks (see [`crate::conn`]) to avoid copying file content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// S→C on connect.
    Hello {
        /// [`PROTOCOL`].
        protocol: String,
        /// Fresh random bytes: makes every login's proof different.
        nonce: Digest,
    },
    /// C→S: who is logging in.
    Auth {
        /// The account name.
        user: String,
        /// Fresh random bytes from the client.
        nonce: Digest,
    },
    /// S→C: how to derive the key from the password.
    Challenge {
        /// PBKDF2-HMAC-SHA256 iterations.
        iterations: u32,
        /// The account's salt.
        salt: Vec<u8>,
    },
    /// C→S: the proof (see [`crate::auth`]).
    Proof {
        /// `ClientKey XOR HMAC(StoredKey, AuthMessage)`.
        proof: Digest,
    },
    /// S→C: logged in.
    Welcome {
        /// `HMAC(ServerKey, AuthMessage)`: the server knows the account too.
        signature: Digest,
    },
    /// C→S: list the files.
    List,
    /// S→C: one file.
    Entry {
        /// The file name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Last modification, seconds since 1970-01-01 UTC.
        modified: u64,
    },
    /// S→C: end of a listing.
    End,
    /// C→S: download `name` from byte `offset`.
    Get {
        /// The file name.
        name: String,
        /// Where to start: 0, or the length of a partial download.
        offset: u64,
        /// SHA-256 of the client's first `offset` bytes (zeros if `offset` is 0).
        /// The server resumes only if its own first bytes have this digest.
        prefix: Digest,
    },
    /// S→C: the file follows, in data frames, from `offset` to `size`.
    File {
        /// The whole file's size.
        size: u64,
        /// The whole file's SHA-256.
        digest: Digest,
        /// Where the data starts: the requested offset, or 0 if the server
        /// cannot resume (the prefix differs).
        offset: u64,
    },
    /// C→S: upload a file as `name`.
    Put {
        /// The name to store it under.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Keep the bytes if the transfer breaks, and continue a broken one.
        resume: bool,
    },
    /// C→S: after the last DATA of an upload (right after READY for an
    /// empty file): the SHA-256 of the whole file, from byte 0, resumed or
    /// not. The client hashes while it sends, so it reads the file once.
    Trailer {
        /// The whole file's SHA-256.
        digest: Digest,
    },
    /// S→C: send the data from `offset` on.
    Ready {
        /// 0, or how much of a resumable upload the server already holds.
        offset: u64,
    },
    /// S→C: verified, synced and renamed into place.
    Stored {
        /// The stored size.
        size: u64,
        /// The stored SHA-256.
        digest: Digest,
        /// Where the previous version went (`FT_teste.xlsx.1`), or empty.
        previous: String,
    },
    /// A refusal or a failure.
    Error {
        /// One of [`code`].
        code: u16,
        /// A sentence for the user.
        message: String,
    },
}

/// Why bytes are not a valid frame or message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The kind byte is not one of [`kind`].
    #[error("unknown frame kind {0:#04x}")]
    UnknownKind(u8),
    /// The announced body length is over the limit for its kind.
    #[error("a {kind} frame of {len} bytes is over the limit of {limit}")]
    TooLong {
        /// The frame's kind, as a letter.
        kind: KindName,
        /// The announced length.
        len: u32,
        /// The limit for that kind.
        limit: usize,
    },
    /// A data frame with no data (it would let a peer stall forever).
    #[error("an empty data frame")]
    EmptyData,
    /// The body ended before a field was complete.
    #[error("a {kind} frame is too short (its {field} is cut)")]
    Truncated {
        /// The frame's kind.
        kind: KindName,
        /// The field that was cut.
        field: &'static str,
    },
    /// The body has bytes after its last field.
    #[error("a {kind} frame has {extra} bytes after its last field")]
    Trailing {
        /// The frame's kind.
        kind: KindName,
        /// How many bytes too many.
        extra: usize,
    },
    /// A string field is not UTF-8.
    #[error("the {field} of a {kind} frame is not valid UTF-8")]
    NotUtf8 {
        /// The frame's kind.
        kind: KindName,
        /// The field.
        field: &'static str,
    },
    /// A string is longer than a 2-byte length can say.
    #[error("the {field} is longer than 65535 bytes")]
    StringTooLong {
        /// The field.
        field: &'static str,
    },
}

/// A frame kind, shown as its letter in messages (`'D'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindName(pub u8);

impl fmt::Display for KindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "'{}'", self.0 as char)
        } else {
            write!(f, "{:#04x}", self.0)
        }
    }
}

/// Check a frame header and return its kind and body length.
///
/// ```
/// use file_transfer::wire::{parse_header, WireError};
/// assert_eq!(parse_header([b'D', 0, 0, 0x40, 0]), Ok((b'D', 16384)));
/// assert!(matches!(parse_header([b'D', 0x10, 0, 0, 0]), Err(WireError::TooLong { .. })));
/// ```
pub fn parse_header(header: [u8; HEADER_LEN]) -> Result<(u8, usize), WireError> {
    let kind = header[0];
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    let limit = match kind {
        kind::DATA => MAX_CHUNK,
        kind::HELLO
        | kind::AUTH
        | kind::CHALLENGE
        | kind::PROOF
        | kind::WELCOME
        | kind::LIST
        | kind::ENTRY
        | kind::END
        | kind::GET
        | kind::FILE
        | kind::PUT
        | kind::TRAILER
        | kind::READY
        | kind::STORED
        | kind::ERROR => MAX_CONTROL,
        other => return Err(WireError::UnknownKind(other)),
    };
    // A u32 always fits in usize on the 32- and 64-bit targets we build for.
    let body = usize::try_from(len).unwrap_or(usize::MAX);
    if body > limit {
        return Err(WireError::TooLong {
            kind: KindName(kind),
            len,
            limit,
        });
    }
    if kind == kind::DATA && body == 0 {
        return Err(WireError::EmptyData);
    }
    Ok((kind, body))
}

/// The header of a data frame carrying `len` bytes (`len` ≤ [`MAX_CHUNK`]).
pub fn data_header(len: usize) -> [u8; HEADER_LEN] {
    let len = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    [kind::DATA, len[0], len[1], len[2], len[3]]
}

impl Message {
    /// The frame kind that carries this message.
    pub fn kind(&self) -> u8 {
        match self {
            Message::Hello { .. } => kind::HELLO,
            Message::Auth { .. } => kind::AUTH,
            Message::Challenge { .. } => kind::CHALLENGE,
            Message::Proof { .. } => kind::PROOF,
            Message::Welcome { .. } => kind::WELCOME,
            Message::List => kind::LIST,
            Message::Entry { .. } => kind::ENTRY,
            Message::End => kind::END,
            Message::Get { .. } => kind::GET,
            Message::File { .. } => kind::FILE,
            Message::Put { .. } => kind::PUT,
            Message::Trailer { .. } => kind::TRAILER,
            Message::Ready { .. } => kind::READY,
            Message::Stored { .. } => kind::STORED,
            Message::Error { .. } => kind::ERROR,
        }
    }

    /// The whole frame: header and body.
    ///
    /// Fails only if a string is longer than 65535 bytes, which the senders
    /// rule out first (names are at most 255 bytes, messages are truncated).
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Body(Vec::with_capacity(64));
        out.0.extend_from_slice(&[self.kind(), 0, 0, 0, 0]);
        match self {
            Message::Hello { protocol, nonce } => {
                out.string(protocol, "protocol")?;
                out.bytes(nonce);
            }
            Message::Auth { user, nonce } => {
                out.string(user, "user")?;
                out.bytes(nonce);
            }
            Message::Challenge { iterations, salt } => {
                out.bytes(&iterations.to_be_bytes());
                out.short_bytes(salt, "salt")?;
            }
            Message::Proof { proof } => out.bytes(proof),
            Message::Welcome { signature } => out.bytes(signature),
            Message::List | Message::End => {}
            Message::Entry {
                name,
                size,
                modified,
            } => {
                out.string(name, "name")?;
                out.bytes(&size.to_be_bytes());
                out.bytes(&modified.to_be_bytes());
            }
            Message::Get {
                name,
                offset,
                prefix,
            } => {
                out.string(name, "name")?;
                out.bytes(&offset.to_be_bytes());
                out.bytes(prefix);
            }
            Message::File {
                size,
                digest,
                offset,
            } => {
                out.bytes(&size.to_be_bytes());
                out.bytes(digest);
                out.bytes(&offset.to_be_bytes());
            }
            Message::Put { name, size, resume } => {
                out.string(name, "name")?;
                out.bytes(&size.to_be_bytes());
                out.bytes(&[u8::from(*resume)]);
            }
            Message::Trailer { digest } => out.bytes(digest),
            Message::Ready { offset } => out.bytes(&offset.to_be_bytes()),
            Message::Stored {
                size,
                digest,
                previous,
            } => {
                out.bytes(&size.to_be_bytes());
                out.bytes(digest);
                out.string(previous, "previous")?;
            }
            Message::Error { code, message } => {
                out.bytes(&code.to_be_bytes());
                out.string(message, "message")?;
            }
        }
        let len = u32::try_from(out.0.len() - HEADER_LEN).unwrap_or(u32::MAX);
        out.0[1..HEADER_LEN].copy_from_slice(&len.to_be_bytes());
        Ok(out.0)
    }

    /// Decode the body of a frame of kind `kind` (not [`kind::DATA`]).
    pub fn decode(kind: u8, body: &[u8]) -> Result<Message, WireError> {
        let mut r = Fields {
            kind: KindName(kind),
            rest: body,
        };
        let message = match kind {
            kind::HELLO => Message::Hello {
                protocol: r.string("protocol")?,
                nonce: r.digest("nonce")?,
            },
            kind::AUTH => Message::Auth {
                user: r.string("user")?,
                nonce: r.digest("nonce")?,
            },
            kind::CHALLENGE => Message::Challenge {
                iterations: r.u32("iterations")?,
                salt: r.short_bytes("salt")?,
            },
            kind::PROOF => Message::Proof {
                proof: r.digest("proof")?,
            },
            kind::WELCOME => Message::Welcome {
                signature: r.digest("signature")?,
            },
            kind::LIST => Message::List,
            kind::END => Message::End,
            kind::ENTRY => Message::Entry {
                name: r.string("name")?,
                size: r.u64("size")?,
                modified: r.u64("modified")?,
            },
            kind::GET => Message::Get {
                name: r.string("name")?,
                offset: r.u64("offset")?,
                prefix: r.digest("prefix")?,
            },
            kind::FILE => Message::File {
                size: r.u64("size")?,
                digest: r.digest("digest")?,
                offset: r.u64("offset")?,
            },
            kind::PUT => Message::Put {
                name: r.string("name")?,
                size: r.u64("size")?,
                resume: r.take(1, "flags")?[0] & 1 == 1,
            },
            kind::TRAILER => Message::Trailer {
                digest: r.digest("digest")?,
            },
            kind::READY => Message::Ready {
                offset: r.u64("offset")?,
            },
            kind::STORED => Message::Stored {
                size: r.u64("size")?,
                digest: r.digest("digest")?,
                previous: r.string("previous")?,
            },
            kind::ERROR => Message::Error {
                code: r.u16("code")?,
                message: r.string("message")?,
            },
            other => return Err(WireError::UnknownKind(other)),
        };
        if !r.rest.is_empty() {
            return Err(WireError::Trailing {
                kind: KindName(kind),
                extra: r.rest.len(),
            });
        }
        Ok(message)
    }

    /// An error message, its text cut to fit a frame.
    pub fn error(code: u16, message: impl Into<String>) -> Message {
        let mut message = message.into();
        if message.len() > 1024 {
            let mut end = 1024;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        Message::Error { code, message }
    }
}

/// A frame body being written.
struct Body(Vec<u8>);

impl Body {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    fn short_bytes(&mut self, b: &[u8], field: &'static str) -> Result<(), WireError> {
        let len = u16::try_from(b.len()).map_err(|_| WireError::StringTooLong { field })?;
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(b);
        Ok(())
    }

    fn string(&mut self, s: &str, field: &'static str) -> Result<(), WireError> {
        self.short_bytes(s.as_bytes(), field)
    }
}

/// A frame body being read, field by field.
struct Fields<'a> {
    kind: KindName,
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated {
                kind: self.kind,
                field,
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    fn digest(&mut self, field: &'static str) -> Result<Digest, WireError> {
        self.array(field)
    }

    fn short_bytes(&mut self, field: &'static str) -> Result<Vec<u8>, WireError> {
        let len = usize::from(self.u16(field)?);
        Ok(self.take(len, field)?.to_vec())
    }

    fn string(&mut self, field: &'static str) -> Result<String, WireError> {
        let kind = self.kind;
        String::from_utf8(self.short_bytes(field)?).map_err(|_| WireError::NotUtf8 { kind, field })
    }
}

/// A digest in lower-case hex, as `sha256sum` prints it.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(m: Message) {
        let frame = m.encode().expect("encodes");
        let (kind, len) =
            parse_header(frame[..HEADER_LEN].try_into().expect("5 bytes")).expect("valid header");
        assert_eq!(len, frame.len() - HEADER_LEN);
        assert_eq!(Message::decode(kind, &frame[HEADER_LEN..]), Ok(m));
    }

    #[test]
    fn every_message_round_trips() {
        let d = [7u8; 32];
        for m in [
            Message::Hello {
                protocol: PROTOCOL.into(),
                nonce: d,
            },
            Message::Auth {
                user: "aluno".into(),
                nonce: d,
            },
            Message::Challenge {
                iterations: 4096,
                salt: vec![1, 2, 3],
            },
            Message::Proof { proof: d },
            Message::Welcome { signature: d },
            Message::List,
            Message::Entry {
                name: "FT_teste.xlsx".into(),
                size: 1 << 40,
                modified: 1_714_000_000,
            },
            Message::End,
            Message::Get {
                name: "relatório.pdf".into(),
                offset: 5,
                prefix: d,
            },
            Message::File {
                size: u64::MAX,
                digest: d,
                offset: 0,
            },
            Message::Put {
                name: "a".into(),
                size: 0,
                resume: true,
            },
            Message::Trailer { digest: d },
            Message::Ready { offset: 9 },
            Message::Stored {
                size: 3,
                digest: d,
                previous: "a.1".into(),
            },
            Message::error(code::NOT_FOUND, "no file named \"x\""),
        ] {
            round_trip(m);
        }
    }

    #[test]
    fn the_list_request_is_five_bytes() {
        assert_eq!(Message::List.encode().expect("encodes"), [b'L', 0, 0, 0, 0]);
    }

    #[test]
    fn a_put_header_carries_a_64_bit_size() {
        let frame = Message::Put {
            name: "big".into(),
            size: 1 << 63,
            resume: false,
        }
        .encode()
        .expect("encodes");
        // kind, length, name (2 + 3), size (8), flags (1): no digest yet
        assert_eq!(frame.len(), 5 + 5 + 8 + 1);
        assert_eq!(&frame[10..18], &[0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn unknown_kinds_are_refused_from_the_header() {
        assert_eq!(
            parse_header([b'x', 0, 0, 0, 0]),
            Err(WireError::UnknownKind(b'x'))
        );
    }

    #[test]
    fn oversized_frames_are_refused_from_the_header() {
        let over = u32::try_from(MAX_CONTROL + 1).expect("fits").to_be_bytes();
        assert!(matches!(
            parse_header([b'U', over[0], over[1], over[2], over[3]]),
            Err(WireError::TooLong { .. })
        ));
        assert_eq!(
            parse_header(data_header(MAX_CHUNK)),
            Ok((kind::DATA, MAX_CHUNK))
        );
        assert!(parse_header(data_header(MAX_CHUNK + 1)).is_err());
    }

    #[test]
    fn an_empty_data_frame_is_refused() {
        assert_eq!(parse_header(data_header(0)), Err(WireError::EmptyData));
    }

    #[test]
    fn a_cut_body_names_the_missing_field() {
        let err = Message::decode(kind::PUT, &[0, 1, b'a', 0, 0]).expect_err("cut");
        assert_eq!(
            err.to_string(),
            "a 'U' frame is too short (its size is cut)"
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        assert_eq!(
            Message::decode(kind::LIST, &[0]),
            Err(WireError::Trailing {
                kind: KindName(b'L'),
                extra: 1
            })
        );
    }

    #[test]
    fn a_name_that_is_not_utf8_is_refused() {
        let mut body = vec![0, 2, 0xff, 0xfe];
        body.extend_from_slice(&[0; 8 + 1]);
        assert!(matches!(
            Message::decode(kind::PUT, &body),
            Err(WireError::NotUtf8 { field: "name", .. })
        ));
    }

    #[test]
    fn long_error_messages_are_cut_on_a_character_boundary() {
        let Message::Error { message, .. } = Message::error(500, "é".repeat(1000)) else {
            unreachable!()
        };
        assert!(message.len() <= 1024);
        assert!(message.chars().all(|c| c == 'é'));
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }
}

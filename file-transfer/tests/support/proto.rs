//! The protocol as the README describes it (*The protocol*), written from
//! the README alone for the tests: frames, messages, SCRAM-SHA-256 and the
//! accounts file's line.
//!
//! Nothing here comes from the crate's `wire` or `auth` modules, so a change
//! in the crate that drifts from the README makes the tests fail instead of
//! following it. (The other encoder written from the README, in Python, is
//! `ft_client.py`.)

use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

/// The protocol name in HELLO.
pub const PROTOCOL: &str = "file-transfer/1";

/// A frame header: the kind (1 byte) and the body's length (4 bytes).
pub const HEADER_LEN: usize = 5;

/// A digest, nonce, proof or signature: 32 raw bytes.
pub type Digest = [u8; 32];

/// The kinds of the README's table.
pub mod kind {
    pub const HELLO: u8 = b'H';
    pub const AUTH: u8 = b'A';
    pub const CHALLENGE: u8 = b'C';
    pub const PROOF: u8 = b'P';
    pub const WELCOME: u8 = b'W';
    pub const LIST: u8 = b'L';
    pub const ENTRY: u8 = b'N';
    pub const END: u8 = b'Z';
    pub const GET: u8 = b'G';
    pub const FILE: u8 = b'F';
    pub const PUT: u8 = b'U';
    pub const TRAILER: u8 = b'T';
    pub const READY: u8 = b'R';
    pub const DATA: u8 = b'D';
    pub const STORED: u8 = b'S';
    pub const ERROR: u8 = b'E';
}

/// The error codes of the README's table.
pub mod code {
    pub const BAD_REQUEST: u16 = 400;
    pub const UNAUTHORIZED: u16 = 401;
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    pub const TIMEOUT: u16 = 408;
    pub const CONFLICT: u16 = 409;
    pub const TOO_LARGE: u16 = 413;
    pub const DIGEST_MISMATCH: u16 = 422;
    pub const TOO_MANY_LOGINS: u16 = 429;
    pub const ABORTED: u16 = 499;
    pub const SERVER: u16 = 500;
    pub const UNAVAILABLE: u16 = 503;
    pub const NO_SPACE: u16 = 507;
}

/// Every frame but DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Hello {
        protocol: String,
        nonce: Digest,
    },
    Auth {
        user: String,
        nonce: Digest,
    },
    Challenge {
        iterations: u32,
        salt: Vec<u8>,
    },
    Proof {
        proof: Digest,
    },
    Welcome {
        signature: Digest,
    },
    List,
    Entry {
        name: String,
        size: u64,
        modified: u64,
    },
    End,
    Get {
        name: String,
        offset: u64,
        prefix: Digest,
    },
    File {
        size: u64,
        digest: Digest,
        offset: u64,
    },
    Put {
        name: String,
        size: u64,
        resume: bool,
    },
    Trailer {
        digest: Digest,
    },
    Ready {
        offset: u64,
    },
    Stored {
        size: u64,
        digest: Digest,
        previous: String,
    },
    Error {
        code: u16,
        message: String,
    },
}

/// One frame as it arrives: a message, or a DATA frame's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Message(Message),
    Data(Vec<u8>),
}

/// A string field: 2-byte length, then UTF-8.
fn put_string(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

/// Bytes with a 2-byte length (the salt).
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let len = u16::try_from(b.len()).expect("a field of at most 65535 bytes");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b);
}

impl Message {
    /// Its kind letter.
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

    /// The whole frame: kind, length, body.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        match self {
            Message::Hello { protocol, nonce } => {
                put_string(&mut body, protocol);
                body.extend_from_slice(nonce);
            }
            Message::Auth { user, nonce } => {
                put_string(&mut body, user);
                body.extend_from_slice(nonce);
            }
            Message::Challenge { iterations, salt } => {
                body.extend_from_slice(&iterations.to_be_bytes());
                put_bytes(&mut body, salt);
            }
            Message::Proof { proof } => body.extend_from_slice(proof),
            Message::Welcome { signature } => body.extend_from_slice(signature),
            Message::List | Message::End => {}
            Message::Entry {
                name,
                size,
                modified,
            } => {
                put_string(&mut body, name);
                body.extend_from_slice(&size.to_be_bytes());
                body.extend_from_slice(&modified.to_be_bytes());
            }
            Message::Get {
                name,
                offset,
                prefix,
            } => {
                put_string(&mut body, name);
                body.extend_from_slice(&offset.to_be_bytes());
                body.extend_from_slice(prefix);
            }
            Message::File {
                size,
                digest,
                offset,
            } => {
                body.extend_from_slice(&size.to_be_bytes());
                body.extend_from_slice(digest);
                body.extend_from_slice(&offset.to_be_bytes());
            }
            Message::Put { name, size, resume } => {
                put_string(&mut body, name);
                body.extend_from_slice(&size.to_be_bytes());
                body.push(u8::from(*resume));
            }
            Message::Trailer { digest } => body.extend_from_slice(digest),
            Message::Ready { offset } => body.extend_from_slice(&offset.to_be_bytes()),
            Message::Stored {
                size,
                digest,
                previous,
            } => {
                body.extend_from_slice(&size.to_be_bytes());
                body.extend_from_slice(digest);
                put_string(&mut body, previous);
            }
            Message::Error { code, message } => {
                body.extend_from_slice(&code.to_be_bytes());
                put_string(&mut body, message);
            }
        }
        frame(self.kind(), &body)
    }

    /// The message in a frame of kind `kind` (not DATA) with `body`.
    pub fn decode(kind: u8, body: &[u8]) -> Result<Message, String> {
        let mut r = Reader { rest: body };
        let message = match kind {
            kind::HELLO => Message::Hello {
                protocol: r.string()?,
                nonce: r.digest()?,
            },
            kind::AUTH => Message::Auth {
                user: r.string()?,
                nonce: r.digest()?,
            },
            kind::CHALLENGE => Message::Challenge {
                iterations: u32::from_be_bytes(r.array()?),
                salt: r.short_bytes()?,
            },
            kind::PROOF => Message::Proof { proof: r.digest()? },
            kind::WELCOME => Message::Welcome {
                signature: r.digest()?,
            },
            kind::LIST => Message::List,
            kind::ENTRY => Message::Entry {
                name: r.string()?,
                size: r.u64()?,
                modified: r.u64()?,
            },
            kind::END => Message::End,
            kind::GET => Message::Get {
                name: r.string()?,
                offset: r.u64()?,
                prefix: r.digest()?,
            },
            kind::FILE => Message::File {
                size: r.u64()?,
                digest: r.digest()?,
                offset: r.u64()?,
            },
            kind::PUT => Message::Put {
                name: r.string()?,
                size: r.u64()?,
                resume: r.take(1)?[0] & 1 == 1,
            },
            kind::TRAILER => Message::Trailer {
                digest: r.digest()?,
            },
            kind::READY => Message::Ready { offset: r.u64()? },
            kind::STORED => Message::Stored {
                size: r.u64()?,
                digest: r.digest()?,
                previous: r.string()?,
            },
            kind::ERROR => Message::Error {
                code: u16::from_be_bytes(r.array()?),
                message: r.string()?,
            },
            other => return Err(format!("no frame kind {other:#04x} in the README")),
        };
        if !r.rest.is_empty() {
            return Err(format!(
                "{} bytes after the last field of a {:?} frame",
                r.rest.len(),
                char::from(kind)
            ));
        }
        Ok(message)
    }
}

/// A frame of `kind` around `body`.
pub fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(kind);
    out.extend_from_slice(
        &u32::try_from(body.len())
            .expect("a body under 4 GiB")
            .to_be_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// A DATA frame carrying `chunk`.
pub fn data_frame(chunk: &[u8]) -> Vec<u8> {
    frame(kind::DATA, chunk)
}

/// A header's kind and body length.
pub fn parse_header(header: [u8; HEADER_LEN]) -> (u8, usize) {
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    (header[0], usize::try_from(len).expect("a 32-bit length"))
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!(
                "a field of {n} bytes is cut ({} left)",
                self.rest.len()
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn digest(&mut self) -> Result<Digest, String> {
        self.array()
    }

    fn short_bytes(&mut self) -> Result<Vec<u8>, String> {
        let len = u16::from_be_bytes(self.array()?);
        Ok(self.take(usize::from(len))?.to_vec())
    }

    fn string(&mut self) -> Result<String, String> {
        String::from_utf8(self.short_bytes()?).map_err(|_| "a string that is not UTF-8".into())
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Digest {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SaltedPassword, ClientKey, StoredKey and ServerKey of a password.
pub struct Keys {
    pub client_key: Digest,
    pub stored_key: Digest,
    pub server_key: Digest,
}

impl Keys {
    /// The README's derivation: PBKDF2-HMAC-SHA256 to 32 bytes, then HMACs.
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        Self {
            client_key,
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }
}

/// `"file-transfer/1" 0x00 user 0x00 client_nonce server_nonce iterations salt`.
pub fn auth_message(
    user: &str,
    client_nonce: &Digest,
    server_nonce: &Digest,
    iterations: u32,
    salt: &[u8],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(PROTOCOL.as_bytes());
    m.push(0);
    m.extend_from_slice(user.as_bytes());
    m.push(0);
    m.extend_from_slice(client_nonce);
    m.extend_from_slice(server_nonce);
    m.extend_from_slice(&iterations.to_be_bytes());
    m.extend_from_slice(salt);
    m
}

/// The client's proof, and the signature a server that knows the account
/// answers with.
pub fn client_proof(
    password: &str,
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> (Digest, Digest) {
    let keys = Keys::derive(password, salt, iterations);
    let mask = hmac(&keys.stored_key, auth_message);
    let mut proof = keys.client_key;
    for (p, m) in proof.iter_mut().zip(mask) {
        *p ^= m;
    }
    (proof, hmac(&keys.server_key, auth_message))
}

/// `signature = HMAC-SHA256(ServerKey, AuthMessage)`, for fake servers.
pub fn server_signature(server_key: &Digest, auth_message: &[u8]) -> Digest {
    hmac(server_key, auth_message)
}

/// One line of the accounts file:
/// `user:scram-sha256:iterations:salt:stored-key:server-key` (hex).
pub fn accounts_line(user: &str, password: &str, iterations: u32, salt: &[u8]) -> String {
    let keys = Keys::derive(password, salt, iterations);
    format!(
        "{user}:scram-sha256:{iterations}:{}:{}:{}",
        hex(salt),
        hex(&keys.stored_key),
        hex(&keys.server_key)
    )
}

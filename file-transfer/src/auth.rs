//! Login by challenge-response: the password never crosses the wire.
//!
//! The slides' FTP asks for a user and a password, and classic FTP sends the
//! password as plain text (`PASS segredo`): anyone on the path reads it. Here
//! the client proves it *knows* the password by answering a challenge that is
//! different every time, so a recorded answer is useless the next time. The
//! scheme is SCRAM-SHA-256 (RFC 5802/7677) carried in binary frames:
//!
//! ```text
//! SaltedPassword  = PBKDF2-HMAC-SHA256(password, salt, iterations)
//! ClientKey       = HMAC(SaltedPassword, "Client Key")
//! StoredKey       = SHA256(ClientKey)                  <- the server keeps this
//! ServerKey       = HMAC(SaltedPassword, "Server Key") <- and this
//! AuthMessage     = user, client nonce, server nonce, iterations, salt
//! ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)   (C→S)
//! ServerSignature = HMAC(ServerKey, AuthMessage)                 (S→C)
//! ```
//!
//! The server recovers `ClientKey` as `ClientProof XOR HMAC(StoredKey,
//! AuthMessage)` and checks that its SHA-256 is `StoredKey`, comparing in
//! constant time (an early exit at the first different byte would tell an
//! attacker, through timing, how many bytes it got right). The client checks
//! the server's signature too, so a fake server is caught.
//!
//! Why this shape: the server's account file holds neither the password nor
//! anything that logs in (`StoredKey` is a hash of the key the proof needs);
//! the salt makes equal passwords look different in the file; the iterations
//! make each guess of an offline attack cost PBKDF2's work. Online guessing is
//! slowed by [`Backoff`].
//!
//! What this does not protect: whoever records one login (HELLO to PROOF)
//! on a plain TCP connection holds the nonces, the salt, the iteration
//! count and the proof, and can test password guesses against them
//! offline, as fast as PBKDF2 allows, without the server ever seeing a
//! guess. A password that is in a dictionary falls that way; run the
//! protocol inside TLS, an SSH tunnel or a VPN where the network is not
//! trusted.

use crate::wire::Digest;
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::time::Instant;

/// PBKDF2 iterations for new accounts: about 10 ms per login in a release
/// build on the benchmark machine (0.4 s in a debug build).
pub const DEFAULT_ITERATIONS: u32 = 100_000;

/// The fewest iterations a client accepts (RFC 7677's minimum): a fake
/// server cannot ask for a cheap proof that would be quick to crack.
pub const MIN_ITERATIONS: u32 = 4096;

/// The most iterations a client accepts: a fake server cannot make it spin.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// Bytes of salt for new accounts.
pub const SALT_LEN: usize = 16;

/// The scheme name in the accounts file.
pub const SCHEME: &str = "scram-sha256";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Digest {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn salted_password(password: &str, salt: &[u8], iterations: u32) -> Digest {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out)?;
    Ok(out)
}

/// What the server keeps about one account.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The salt.
    pub salt: Vec<u8>,
    /// `SHA256(ClientKey)`.
    pub stored_key: Digest,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Digest,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("Credentials")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Derive the stored keys from a password.
    pub fn derive(password: &str, salt: Vec<u8>, iterations: u32) -> Self {
        let salted = salted_password(password, &salt, iterations);
        let client_key = hmac(&salted, &[b"Client Key"]);
        Self {
            iterations,
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, &[b"Server Key"]),
            salt,
        }
    }

    /// New credentials for `password`, with a fresh random salt.
    pub fn new(password: &str, iterations: u32) -> Result<Self, getrandom::Error> {
        Ok(Self::derive(
            password,
            random::<SALT_LEN>()?.to_vec(),
            iterations,
        ))
    }

    /// One line of the accounts file.
    pub fn to_line(&self, user: &str) -> String {
        format!(
            "{user}:{SCHEME}:{}:{}:{}:{}",
            self.iterations,
            crate::wire::hex(&self.salt),
            crate::wire::hex(&self.stored_key),
            crate::wire::hex(&self.server_key)
        )
    }
}

/// The bytes both sides sign: everything the login exchanged so far, so a
/// proof cannot be replayed with another nonce, salt or user.
pub fn auth_message(
    user: &str,
    client_nonce: &Digest,
    server_nonce: &Digest,
    iterations: u32,
    salt: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(128);
    m.extend_from_slice(crate::wire::PROTOCOL.as_bytes());
    m.push(0);
    m.extend_from_slice(user.as_bytes());
    m.push(0);
    m.extend_from_slice(client_nonce);
    m.extend_from_slice(server_nonce);
    m.extend_from_slice(&iterations.to_be_bytes());
    m.extend_from_slice(salt);
    m
}

/// The client's side: its proof, and the server signature it must expect.
pub fn client_proof(
    password: &str,
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> (Digest, Digest) {
    let salted = salted_password(password, salt, iterations);
    let client_key = hmac(&salted, &[b"Client Key"]);
    let stored_key: Digest = Sha256::digest(client_key).into();
    let signature = hmac(&stored_key, &[auth_message]);
    let mut proof = client_key;
    for (p, s) in proof.iter_mut().zip(signature) {
        *p ^= s;
    }
    let server_key = hmac(&salted, &[b"Server Key"]);
    (proof, hmac(&server_key, &[auth_message]))
}

/// The server's side: does `proof` show knowledge of the password?
/// Constant-time in the compared bytes.
pub fn verify_proof(credentials: &Credentials, auth_message: &[u8], proof: &Digest) -> bool {
    let signature = hmac(&credentials.stored_key, &[auth_message]);
    let mut client_key = *proof;
    for (k, s) in client_key.iter_mut().zip(signature) {
        *k ^= s;
    }
    let stored: Digest = Sha256::digest(client_key).into();
    stored.ct_eq(&credentials.stored_key).into()
}

/// The server's signature, sent in `WELCOME`.
pub fn server_signature(credentials: &Credentials, auth_message: &[u8]) -> Digest {
    hmac(&credentials.server_key, &[auth_message])
}

/// Constant-time equality of two digests (the client checks the server's
/// signature with it).
pub fn digests_equal(a: &Digest, b: &Digest) -> bool {
    a.ct_eq(b).into()
}

/// Why an account name is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Empty, too long, or with a `:`, space or control character.
    #[error(
        "user name {0:?} is not valid: use 1 to 64 characters, without ':', spaces or control characters"
    )]
    Invalid(String),
}

/// Check an account name: 1 to 64 bytes, no `:` (the file's separator), no
/// white space, no control characters.
pub fn check_user(user: &str) -> Result<(), UserError> {
    let ok = !user.is_empty()
        && user.len() <= 64
        && !user
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(UserError::Invalid(user.to_owned()))
    }
}

/// A problem in the accounts file, with its line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct AccountsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The accounts the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    users: HashMap<String, Credentials>,
    /// Makes the fake salt of unknown users stable (so asking twice does
    /// not reveal that the user does not exist) yet unpredictable.
    secret: Digest,
}

impl Accounts {
    /// No accounts yet; `secret` seeds the fake challenges of unknown users.
    pub fn new(secret: Digest) -> Self {
        Self {
            users: HashMap::new(),
            secret,
        }
    }

    /// Add or replace an account.
    pub fn insert(&mut self, user: &str, credentials: Credentials) {
        self.users.insert(user.to_owned(), credentials);
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when there is no account.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Parse an accounts file:
    ///
    /// ```text
    /// # user:scheme:iterations:salt:stored-key:server-key (hex)
    /// aluno:scram-sha256:100000:6b1f...:9a0c...:33d2...
    /// ```
    ///
    /// Blank lines and lines starting with `#` are ignored.
    pub fn parse(text: &str, secret: Digest) -> Result<Self, AccountsError> {
        let mut accounts = Self::new(secret);
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| AccountsError {
                line: i + 1,
                reason,
            };
            let fields: Vec<&str> = line.split(':').collect();
            let [user, scheme, iterations, salt, stored, server] = fields[..] else {
                return Err(err(format!(
                    "expected 6 fields separated by ':', found {}",
                    fields.len()
                )));
            };
            check_user(user).map_err(|e| err(e.to_string()))?;
            if scheme != SCHEME {
                return Err(err(format!("unknown scheme {scheme:?}; expected {SCHEME}")));
            }
            let iterations: u32 = iterations
                .parse()
                .ok()
                .filter(|n| (MIN_ITERATIONS..=MAX_ITERATIONS).contains(n))
                .ok_or_else(|| {
                    err(format!(
                        "iterations must be a number from {MIN_ITERATIONS} to {MAX_ITERATIONS}"
                    ))
                })?;
            let salt = unhex(salt).ok_or_else(|| err("the salt is not hex".into()))?;
            let digest = |s: &str, what: &str| {
                unhex(s)
                    .and_then(|v| Digest::try_from(v).ok())
                    .ok_or_else(|| err(format!("the {what} is not 64 hex digits")))
            };
            let credentials = Credentials {
                iterations,
                salt,
                stored_key: digest(stored, "stored key")?,
                server_key: digest(server, "server key")?,
            };
            if accounts.users.contains_key(user) {
                return Err(err(format!("user {user:?} appears twice")));
            }
            accounts.insert(user, credentials);
        }
        Ok(accounts)
    }

    /// The credentials of `user`, or convincing fake ones for an unknown
    /// user: the login then fails exactly like a wrong password, so a
    /// client cannot probe which accounts exist.
    pub fn lookup(&self, user: &str) -> (Credentials, bool) {
        if let Some(credentials) = self.users.get(user) {
            return (credentials.clone(), true);
        }
        let iterations = self
            .users
            .values()
            .map(|c| c.iterations)
            .max()
            .unwrap_or(DEFAULT_ITERATIONS);
        let fake = hmac(&self.secret, &[user.as_bytes()]);
        let credentials = Credentials {
            iterations,
            salt: fake[..SALT_LEN].to_vec(),
            stored_key: hmac(&self.secret, &[b"stored", user.as_bytes()]),
            server_key: hmac(&self.secret, &[b"server", user.as_bytes()]),
        };
        (credentials, false)
    }

    /// The accounts file text with `user` added or replaced.
    pub fn upsert_line(text: &str, user: &str, credentials: &Credentials) -> String {
        let mut out = String::with_capacity(text.len() + 200);
        let mut replaced = false;
        for line in text.lines() {
            let is_user = line.trim().split(':').next() == Some(user) && !line.starts_with('#');
            if is_user {
                if !replaced {
                    let _ = writeln!(out, "{}", credentials.to_line(user));
                    replaced = true;
                }
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        if !replaced {
            if out.is_empty() {
                out.push_str(
                    "# file-transfer accounts: user:scheme:iterations:salt:stored-key:server-key\n",
                );
            }
            let _ = writeln!(out, "{}", credentials.to_line(user));
        }
        out
    }
}

/// Replace the accounts file at `path` with `text` so that no one else can
/// read it and no moment or crash leaves it half-written: a new file with a
/// name nobody else uses (hidden, random), readable by its owner only
/// (0600), written and synced, then renamed over `path`, and the directory
/// synced. A file the temporary name could collide with is never touched.
pub fn write_accounts(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
        .to_string_lossy()
        .into_owned();
    let (tmp, mut file) = loop {
        let tag = random::<8>().map_err(io::Error::other)?;
        let tmp = dir.join(format!(".{name}.{}.tmp", crate::wire::hex(&tag)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable once the directory is.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How long the answer to the `n`-th consecutive failed login from one
/// address is held back: 250 ms, doubling, at most 8 s.
pub fn failure_delay(n: u32) -> Duration {
    let exponent = n.saturating_sub(1).min(5);
    Duration::from_millis(250 << exponent)
}

/// Failures are forgotten after this long without a new one.
pub const FORGET_FAILURES_AFTER: Duration = Duration::from_secs(15 * 60);

/// Logins from one address checked, or held back after a failure, at the
/// same time. One more is refused at once, unchecked: parallel connections
/// get at most this many guesses per [`failure_delay`] (after six failures,
/// 4 guesses per 8 s), and a correct login never waits behind another
/// connection's penalty, only its own.
pub const LOGINS_AT_ONCE: usize = 4;

/// Consecutive login failures per client address.
///
/// The server holds back the answer to a failed login by
/// [`failure_delay`], and counts that time as the login still in progress
/// (see [`LOGINS_AT_ONCE`]): after six failures, an address gets at most
/// four guesses per 8 s. A success forgets the address's failures.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: HashMap<IpAddr, (u32, Instant)>,
}

impl Backoff {
    /// Addresses remembered before old entries are pruned.
    const PRUNE_AT: usize = 10_000;

    /// Record a failure from `ip` at `now`; returns how long to hold back
    /// the answer.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) -> Duration {
        if self.failures.len() >= Self::PRUNE_AT {
            self.failures
                .retain(|_, (_, last)| now.duration_since(*last) < FORGET_FAILURES_AFTER);
        }
        let entry = self.failures.entry(ip).or_insert((0, now));
        if now.duration_since(entry.1) >= FORGET_FAILURES_AFTER {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        failure_delay(entry.0)
    }

    /// Forget `ip`'s failures (it logged in).
    pub fn succeeded(&mut self, ip: IpAddr) {
        self.failures.remove(&ip);
    }

    /// Consecutive failures remembered for `ip`.
    pub fn failures(&self, ip: IpAddr, now: Instant) -> u32 {
        match self.failures.get(&ip) {
            Some((n, last)) if now.duration_since(*last) < FORGET_FAILURES_AFTER => *n,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: u32 = MIN_ITERATIONS;

    fn login(server_password: &str, client_password: &str) -> (bool, bool) {
        let creds = Credentials::derive(server_password, b"sal".to_vec(), N);
        let msg = auth_message("aluno", &[1; 32], &[2; 32], N, &creds.salt);
        let (proof, expected) = client_proof(client_password, &creds.salt, N, &msg);
        let accepted = verify_proof(&creds, &msg, &proof);
        let server_ok = digests_equal(&server_signature(&creds, &msg), &expected);
        (accepted, server_ok)
    }

    #[test]
    fn the_right_password_logs_in_and_the_server_proves_itself() {
        assert_eq!(login("segredo", "segredo"), (true, true));
    }

    #[test]
    fn a_wrong_password_is_refused() {
        assert_eq!(login("segredo", "Segredo"), (false, false));
    }

    #[test]
    fn a_proof_is_bound_to_its_nonces() {
        let creds = Credentials::derive("segredo", b"sal".to_vec(), N);
        let first = auth_message("aluno", &[1; 32], &[2; 32], N, &creds.salt);
        let (proof, _) = client_proof("segredo", &creds.salt, N, &first);
        // Replayed against a new server nonce, the recorded proof fails.
        let second = auth_message("aluno", &[1; 32], &[3; 32], N, &creds.salt);
        assert!(!verify_proof(&creds, &second, &proof));
    }

    #[test]
    fn pbkdf2_matches_the_published_test_vector() {
        // RFC 7914 section 11, PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64):
        // the first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            crate::wire::hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn accounts_round_trip_through_the_file_format() {
        let creds = Credentials::derive("segredo", vec![9; 16], N);
        let text = Accounts::upsert_line("", "aluno", &creds);
        let accounts = Accounts::parse(&text, [0; 32]).expect("parses");
        let (found, known) = accounts.lookup("aluno");
        assert!(known);
        assert_eq!(found, creds);
    }

    #[test]
    fn upsert_replaces_the_users_line_only() {
        let a = Credentials::derive("a", vec![1; 16], N);
        let b = Credentials::derive("b", vec![2; 16], N);
        let text = Accounts::upsert_line("", "ana", &a);
        let text = Accounts::upsert_line(&text, "bia", &a);
        let text = Accounts::upsert_line(&text, "ana", &b);
        let accounts = Accounts::parse(&text, [0; 32]).expect("parses");
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts.lookup("ana").0, b);
        assert_eq!(accounts.lookup("bia").0, a);
    }

    #[test]
    fn a_bad_accounts_line_names_its_number() {
        let err =
            Accounts::parse("# comment\n\naluno:scram-sha256:12\n", [0; 32]).expect_err("bad line");
        assert_eq!(err.line, 3);
        let err =
            Accounts::parse("aluno:md5:4096:00:00:00\n", [0; 32]).expect_err("unknown scheme");
        assert!(err.reason.contains("unknown scheme"), "{err}");
    }

    #[test]
    fn unknown_users_get_a_stable_fake_challenge() {
        let accounts = Accounts::new([5; 32]);
        let (a, known) = accounts.lookup("ninguem");
        let (b, _) = accounts.lookup("ninguem");
        assert!(!known);
        assert_eq!(a.salt, b.salt);
        assert_ne!(a.salt, accounts.lookup("outro").0.salt);
    }

    #[test]
    fn user_names_cannot_break_the_file_format() {
        assert!(check_user("aluno").is_ok());
        for bad in ["", "a:b", "a b", "a\nb", &"x".repeat(65)] {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn failures_are_slowed_down_more_and_more() {
        let mut backoff = Backoff::default();
        let ip: IpAddr = [127, 0, 0, 1].into();
        let now = Instant::now();
        let delays: Vec<u64> = (0..8)
            .map(|_| backoff.failed(ip, now).as_millis() as u64)
            .collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff.failures(ip, now), 8);
    }

    #[test]
    fn a_success_or_a_quiet_quarter_hour_forgets_the_failures() {
        let mut backoff = Backoff::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        let now = Instant::now();
        backoff.failed(ip, now);
        backoff.failed(ip, now);
        backoff.failed(other, now);
        backoff.succeeded(ip);
        assert_eq!(backoff.failed(ip, now), Duration::from_millis(250));
        let later = now + FORGET_FAILURES_AFTER;
        assert_eq!(backoff.failures(other, later), 0);
        assert_eq!(backoff.failed(other, later), Duration::from_millis(250));
    }
}

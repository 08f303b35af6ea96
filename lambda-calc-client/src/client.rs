//! The REST client: one GET per calculation, with a timeout and retries.
//!
//! `GET` is *safe* and *idempotent* in HTTP's terms: asking twice changes
//! nothing on the server. So when the network fails (the connection is
//! refused or dropped) or the server fails (a `5xx` status), the client may
//! simply ask again, after a pause that doubles each time (*exponential
//! backoff*, with a random part so that many clients do not retry in step).
//! A `4xx` status is the client's own mistake and asking again would get the
//! same answer, so it is reported at once, with the server's message. A
//! timeout is not retried either: a slow server is not helped by more load,
//! and `--timeout` is the longest the user agreed to wait. Nor are bytes
//! that are not HTTP at all: another program listens on that port, and it
//! will answer the same way again.
//!
//! Whatever the server says reaches the user's terminal: its error messages,
//! the start of a reply that is not a result, and the result itself. A
//! server (or a proxy, a captive portal) may put anything there, including
//! an ESC that starts a terminal control sequence (`\x1b[2J` clears the
//! screen) or a line break that forges a line. So a [`ClientError`] keeps
//! the server's text as it came and shows it through [`common::escape`]
//! (control characters as visible escapes, long text cut with a marker),
//! and [`Reply::shown`] does the same for a result.
//!
//! Numbers go through `common::number` both ways. A value is checked with
//! the calculator's own parser before it is sent ([`check_value`]), in every
//! mode (one calculation, a pipe, the dialogue), so each mode accepts the
//! same inputs and refuses the rest with the same sentence. The result is
//! read from its JSON text by `Number::from_json`, never through a double,
//! and printed as the server wrote it.

use crate::api::{MISSING_TOKEN, Op, ResultKeys};
use common::escape::{Escaped, SHOWN, escape};
use common::number::{JsonNumberError, Number, ParseNumberError};
use reqwest::{StatusCode, Url};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// The default base URL: the local server.
pub fn default_url() -> String {
    format!("http://{}/api", common::addr::LAMBDA_CALC)
}

/// The course's deployment on AWS (REST API `calc`, stage `api`, region
/// `sa-east-1`), as the slide gives it. It may no longer exist.
pub const COURSE_URL: &str = "https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api/";

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API's base URL, up to and including the stage: `.../api`.
    pub base_url: String,
    /// The longest wait for one attempt, from connecting to the last byte.
    pub timeout: Duration,
    /// How many times to ask again after a connection error or a `5xx`.
    pub retries: u32,
    /// The pause before the first retry; it doubles for each next one.
    pub backoff: Duration,
    /// Certificate authorities trusted for `https://` besides the web PKI's
    /// roots ([`read_ca_certs`], `--ca-cert`).
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: default_url(),
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(200),
            extra_roots: Vec::new(),
        }
    }
}

/// The certificates in the PEM file at `path` (one or more `BEGIN
/// CERTIFICATE` blocks), to trust as certificate authorities besides the web
/// PKI's: a private API's own authority, or a test's.
pub fn read_ca_certs(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let bad = |reason: String| ClientError::CaCert {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(root_cause(&e)))?;
    if certs.is_empty() {
        return Err(bad(
            "no PEM certificate (BEGIN CERTIFICATE) in it".to_owned()
        ));
    }
    Ok(certs)
}

/// The roots the client trusts: the web PKI's (Mozilla's list, compiled
/// in, so the same on every machine and present on one with no system
/// store), then `extra`.
fn trusted_roots(extra: &[reqwest::Certificate]) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let mut roots =
        Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + extra.len());
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let cert = reqwest::Certificate::from_der(der.as_ref())
            .map_err(|e| ClientError::Setup(root_cause(&e)))?;
        roots.push(cert);
    }
    roots.extend_from_slice(extra);
    Ok(roots)
}

/// A result, as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The JSON body, byte for byte (without trailing white space).
    pub body: String,
    /// The name of its one member: `A multiplicação`.
    pub key: String,
    /// The number, as written in the body: `40`.
    pub value: String,
}

impl Reply {
    /// The body as a terminal may show it: unchanged from any well-behaved
    /// server, but control characters escaped. Valid JSON may hold raw C1
    /// controls (U+009B starts a control sequence on some terminals) and
    /// bidirectional overrides inside a string, and line breaks between its
    /// tokens, which would also split one result over two lines of a pipe.
    /// Never cut: a body is at most [`MAX_REPLY`] bytes.
    pub fn shown(&self) -> Cow<'_, str> {
        escape(&self.body, MAX_REPLY)
    }
}

/// How many characters of a reply that is not a result an error quotes.
pub const EXCERPT: usize = 120;

/// Why a calculation got no result.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL is not an http(s) URL.
    #[error("the API URL must be an http:// or https:// URL, not {0:?}")]
    BadUrl(String),
    /// The HTTP client could not be set up (a certificate that does not
    /// parse, for example).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// The `--ca-cert` file cannot be read or holds no certificate.
    #[error("cannot use {path} as --ca-cert: {}", Escaped::new(.reason, SHOWN))]
    CaCert {
        /// The file.
        path: String,
        /// Why not.
        reason: String,
    },
    /// The server's certificate is not trusted (an unknown authority, a
    /// name it is not valid for, expired). Never retried.
    #[error(
        "cannot verify the server's certificate for {url}: {}; if the API uses a private \
         certificate authority, trust it with --ca-cert FILE",
        Escaped::new(.reason, SHOWN)
    )]
    Certificate {
        /// The URL asked for.
        url: String,
        /// What rustls found wrong.
        reason: String,
    },
    /// TLS failed otherwise (the server does not speak TLS, no protocol in
    /// common). Never retried: it will fail the same way.
    #[error("TLS with {url} failed: {}", Escaped::new(.reason, SHOWN))]
    Tls {
        /// The URL asked for.
        url: String,
        /// What rustls found wrong.
        reason: String,
    },
    /// No connection, or the connection broke, on every attempt.
    #[error("cannot reach {url}: {}{}", Escaped::new(.reason, SHOWN), tries(*.attempts))]
    Unreachable {
        /// The URL asked for.
        url: String,
        /// The last error, in the system's words.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// No complete answer within the timeout.
    #[error("no answer from {url} within {} s", .timeout.as_secs_f64())]
    Timeout {
        /// The URL asked for.
        url: String,
        /// The timeout.
        timeout: Duration,
    },
    /// A `4xx` status: the request itself is wrong.
    #[error("the server refused the request ({status}): {}", Escaped::new(.message, SHOWN))]
    Refused {
        /// The status.
        status: StatusCode,
        /// The server's message, as sent ([`server_message`]); shown escaped.
        message: String,
    },
    /// A `5xx` status on every attempt.
    #[error("the server failed ({status}){}: {}", tries(*.attempts), Escaped::new(.message, SHOWN))]
    ServerFailed {
        /// The last status.
        status: StatusCode,
        /// The server's message, as sent ([`server_message`]); shown escaped.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// A success status whose body is not JSON.
    #[error(
        "the server's reply is not JSON ({}): {}",
        Escaped::new(.content_type, SHOWN),
        Escaped::new(.excerpt, EXCERPT)
    )]
    NotJson {
        /// The reply's `Content-Type`.
        content_type: String,
        /// The body on one line ([`excerpt`]); its start is shown, escaped.
        excerpt: String,
    },
    /// A value that is not a number by the calculator's rules
    /// (`common::number`): refused before anything is sent. `position` is 1
    /// or 2, the value's place after the operation (and the dialogue's
    /// `Informe o valor 1`); the sentence quotes the value and names the
    /// bound it crosses.
    #[error("value {position}: {error}")]
    BadValue {
        /// 1 or 2.
        position: usize,
        /// Why it is not a number.
        error: ParseNumberError,
    },
    /// An operation that no URL can carry as a path segment: `.` and `..`
    /// mean "this" and "the parent" in a path, and every URL library
    /// removes them. (A value never is one: neither is a number.)
    #[error("{0:?} cannot be sent as an operation: a URL path drops `.` and `..` segments")]
    Unsendable(String),
    /// A success reply far larger than any result: not this API.
    #[error("the reply from {url} is larger than 64 KiB; this is not the calculator API")]
    TooLarge {
        /// The URL asked for.
        url: String,
    },
    /// Bytes that are not an HTTP reply: another protocol on that port
    /// (an SSH or mail server), not a server that is down.
    #[error(
        "the server answered something that is not HTTP ({}); {url} is not the calculator API",
        Escaped::new(.reason, SHOWN)
    )]
    NotHttp {
        /// The URL asked for.
        url: String,
        /// What the HTTP parser found wrong.
        reason: String,
    },
    /// A result whose one member's name does not name the operation asked
    /// for: another API, or another operation's answer. Never retried.
    #[error(
        "the reply's key \"{}\" does not name the operation {}: {}",
        Escaped::new(.key, SHOWN),
        Escaped::new(.op, SHOWN),
        expected_keys(*.expected)
    )]
    WrongKey {
        /// The operation asked for, as given.
        op: String,
        /// The member's name in the reply, as sent; shown escaped.
        key: String,
        /// The names this operation's result may carry, if it is one of
        /// the four.
        expected: Option<&'static ResultKeys>,
    },
    /// API Gateway's 403 "Missing Authentication Token": no route for the
    /// path asked. Either the operation is not one of the four, or the base
    /// URL is wrong (a wrong stage, say).
    #[error(
        "the API has no route {} (403 {MISSING_TOKEN}): its operations are {}{}",
        Escaped::new(.path, SHOWN),
        Op::list(),
        if *.known_op { WRONG_URL } else { "" }
    )]
    NoRoute {
        /// The path asked for, as sent (percent-encoded).
        path: String,
        /// True if the operation asked is one of the four, so the URL is
        /// what is wrong.
        known_op: bool,
    },
    /// One member, but what it holds is not a number: `Number::from_json`'s
    /// sentence (`"abc" is not a number`, `"NaN" is not a finite number`),
    /// or a string holding a number, which the API never sends.
    #[error(
        "the server's reply is not a calculator result: under \"{}\", {reason}",
        Escaped::new(.key, SHOWN)
    )]
    NotANumber {
        /// The member's name, as sent; shown escaped.
        key: String,
        /// Why its value is not a number, already escaped.
        reason: String,
    },
    /// JSON, but not one member; or a status this API never sends.
    #[error(
        "the server's reply is not a calculator result ({status}): {}",
        Escaped::new(.excerpt, EXCERPT)
    )]
    Unexpected {
        /// The status.
        status: StatusCode,
        /// The body on one line ([`excerpt`]); its start is shown, escaped.
        excerpt: String,
    },
}

impl ClientError {
    /// The same error, saying how many attempts were made.
    fn after(self, made: u32) -> Self {
        match self {
            ClientError::Unreachable { url, reason, .. } => ClientError::Unreachable {
                url,
                reason,
                attempts: made,
            },
            ClientError::ServerFailed {
                status, message, ..
            } => ClientError::ServerFailed {
                status,
                message,
                attempts: made,
            },
            other => other,
        }
    }

    /// True for a refusal: the request was wrong (a `4xx`), the service is
    /// fine, so an interactive user may simply try other input.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ClientError::Refused { .. }
                | ClientError::BadValue { .. }
                | ClientError::Unsendable(_)
                | ClientError::NoRoute {
                    known_op: false,
                    ..
                }
        )
    }
}

/// Said when a known operation has no route: the same URL will fail for
/// every operation.
const WRONG_URL: &str = ", so the base URL is wrong: --url (or CALC_API_URL) must end with the \
    API's stage, as in https://<id>.execute-api.<region>.amazonaws.com/api";

fn expected_keys(expected: Option<&ResultKeys>) -> String {
    match expected {
        Some(keys) => format!("expected {}", keys.expected()),
        None => format!("it is not one of {}", Op::list()),
    }
}

fn tries(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (tried {attempts} times)")
    } else {
        String::new()
    }
}

/// The largest reply body read; a result is a few dozen bytes.
pub const MAX_REPLY: usize = 64 * 1024;

/// A notice about a retry, for the user's terminal.
pub type RetryNotice = Box<dyn Fn(&str) + Send + Sync>;

/// A client of the calculator API.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    config: ClientConfig,
    on_retry: Option<RetryNotice>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One attempt's failure, and whether it is worth another.
enum Attempt {
    Retry(ClientError),
    Final(ClientError),
}

impl Client {
    /// A client for `config.base_url`. One connection is kept open and
    /// reused between calculations (HTTP keep-alive).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let base = parse_base(&config.base_url)?;
        let http = reqwest::Client::builder()
            .tls_certs_only(trusted_roots(&config.extra_roots)?)
            .timeout(config.timeout)
            .user_agent(concat!("lambda-calc-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(root_cause(&e)))?;
        Ok(Self {
            http,
            base,
            config,
            on_retry: None,
        })
    }

    /// Call `notice` with a line of text before each retry.
    pub fn on_retry(mut self, notice: RetryNotice) -> Self {
        self.on_retry = Some(notice);
        self
    }

    /// The base URL, normalised.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of one calculation: each value becomes one path segment,
    /// percent-encoded, so `1/2` is sent as `1%2F2` and stays one value.
    pub fn url_for(&self, op: &str, a: &str, b: &str) -> Url {
        calculation_url(&self.base, op, a, b)
    }

    /// `GET {base}/{op}/{a}/{b}`: the result, or why there is none. The
    /// values are checked first ([`check_value`]); the operation is the
    /// server's to judge (an unknown one is its 403, [`ClientError::NoRoute`]).
    pub async fn calculate(&self, op: &str, a: &str, b: &str) -> Result<Reply, ClientError> {
        check_value(1, a)?;
        check_value(2, b)?;
        if matches!(op, "." | "..") {
            return Err(ClientError::Unsendable(op.to_owned()));
        }
        let url = self.url_for(op, a, b);
        let mut attempt = 1;
        loop {
            match self.attempt(op, &url).await {
                Ok(reply) => return Ok(reply),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Retry(e)) if attempt > self.config.retries => {
                    return Err(e.after(attempt));
                }
                Err(Attempt::Retry(e)) => {
                    let delay = backoff(self.config.backoff, attempt, random_fraction());
                    if let Some(notice) = &self.on_retry {
                        notice(&format!(
                            "{e}; trying again in {:.1} s (attempt {} of {})",
                            delay.as_secs_f64(),
                            attempt + 1,
                            self.config.retries + 1
                        ));
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, op: &str, url: &Url) -> Result<Reply, Attempt> {
        let network = |e: reqwest::Error| {
            if e.is_timeout() {
                Attempt::Final(ClientError::Timeout {
                    url: url.to_string(),
                    timeout: self.config.timeout,
                })
            } else if let Some(reason) = parse_error(&e) {
                // Whatever answered will answer the same way again.
                Attempt::Final(ClientError::NotHttp {
                    url: url.to_string(),
                    reason,
                })
            } else if let Some(tls) = tls_error(&e) {
                // So will a server whose certificate is not trusted.
                let (url, reason) = (url.to_string(), tls.to_string());
                Attempt::Final(match tls {
                    rustls::Error::InvalidCertificate(_) => {
                        ClientError::Certificate { url, reason }
                    }
                    _ => ClientError::Tls { url, reason },
                })
            } else {
                let error = ClientError::Unreachable {
                    url: url.to_string(),
                    reason: root_cause(&e),
                    attempts: 1,
                };
                // A redirect loop will loop again; the rest is the network.
                if e.is_redirect() || e.is_builder() {
                    Attempt::Final(error)
                } else {
                    Attempt::Retry(error)
                }
            }
        };
        let mut response = self.http.get(url.clone()).send().await.map_err(network)?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        // At most MAX_REPLY bytes are read, whatever the body's size: an
        // error's message is in its start, and the rest is dropped with the
        // connection.
        let mut bytes = Vec::new();
        let mut cut = false;
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            let room = MAX_REPLY - bytes.len();
            if chunk.len() > room {
                bytes.extend_from_slice(&chunk[..room]);
                cut = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        drop(response);
        let body = String::from_utf8_lossy(&bytes);
        let body = body.trim_end();
        if status.is_server_error() {
            return Err(Attempt::Retry(ClientError::ServerFailed {
                status,
                message: server_message(body, status),
                attempts: 1,
            }));
        }
        if status.is_client_error() {
            let message = server_message(body, status);
            if status == StatusCode::FORBIDDEN && message == MISSING_TOKEN {
                return Err(Attempt::Final(ClientError::NoRoute {
                    path: url.path().to_owned(),
                    known_op: op.parse::<Op>().is_ok(),
                }));
            }
            return Err(Attempt::Final(ClientError::Refused { status, message }));
        }
        if cut {
            return Err(Attempt::Final(ClientError::TooLarge {
                url: url.to_string(),
            }));
        }
        parse_reply(status, &content_type, body)
            .and_then(|reply| check_key(op, reply))
            .map_err(Attempt::Final)
    }
}

/// The HTTP parser's complaint, if `error` is that the peer's bytes are not
/// an HTTP reply (a wrong status line, version or header), as opposed to a
/// connection that failed or broke.
fn parse_error(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            return hyper.is_parse().then(|| hyper.to_string());
        }
        cause = e.source();
    }
    None
}

/// The TLS error under `error`, if TLS is what failed. hyper-rustls
/// wraps it in an `io::Error`, itself wrapped in another, and an
/// `io::Error`'s `source()` skips the error it wraps: the way down is
/// `get_ref`.
fn tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        cause = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Check and normalise a base URL: http or https, no query, and a path that
/// does not end in `/` (the segments are appended to it).
pub fn parse_base(text: &str) -> Result<Url, ClientError> {
    let bad = || ClientError::BadUrl(text.to_owned());
    let mut url = Url::parse(text.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(bad());
    }
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
    }
    Ok(url)
}

/// Check value number `position` (1 or 2) with the calculator's parser,
/// `common::number`'s, before sending it: what the server would refuse is
/// refused here, with the same sentence, in every mode. The value is then
/// sent as typed (each mode trims it), so that another implementation of
/// the API reads what the user wrote.
///
/// ```
/// use lambda_calc_client::client::check_value;
/// assert!(check_value(1, "1e308").is_ok());
/// assert_eq!(
///     check_value(2, "1e1000").unwrap_err().to_string(),
///     r#"value 2: "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
/// );
/// ```
pub fn check_value(position: usize, text: &str) -> Result<Number, ClientError> {
    text.parse::<Number>()
        .map_err(|error| ClientError::BadValue { position, error })
}

/// `base` + `/op/a/b`, each segment percent-encoded.
pub fn calculation_url(base: &Url, op: &str, a: &str, b: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend([op, a, b]);
    }
    url
}

/// Check that a success body is one JSON member holding a number, and keep
/// the number exactly as written (`2.0` stays `2.0`, 34 digits stay 34).
///
/// The number is read by `Number::from_json`, the workspace's one reader of
/// JSON numbers, from its text. A JSON number beyond the bounds of an
/// *input* (more than 100 significant digits, or beyond `1e±999`) is still a
/// result: the exact sum of two inputs can have 1,999 digits (`1e999` plus
/// `1e-999`) and their product reach `1e+1998`, and the server sends them
/// whole. What is refused is a value that is not a JSON number at all,
/// with `from_json`'s sentence, and a string, even one holding a number
/// (the API's results are numbers).
pub fn parse_reply(
    status: StatusCode,
    content_type: &str,
    body: &str,
) -> Result<Reply, ClientError> {
    if serde_json::from_str::<serde::de::IgnoredAny>(body).is_err() {
        return Err(ClientError::NotJson {
            content_type: content_type.to_owned(),
            excerpt: excerpt(body),
        });
    }
    let unexpected = || ClientError::Unexpected {
        status,
        excerpt: excerpt(body),
    };
    if !status.is_success() {
        return Err(unexpected());
    }
    let members: BTreeMap<String, &RawValue> =
        serde_json::from_str(body).map_err(|_| unexpected())?;
    let mut members = members.into_iter();
    let (Some((key, value)), None) = (members.next(), members.next()) else {
        return Err(unexpected());
    };
    let value = value.get().trim();
    let string = value.starts_with('"');
    let reason = match Number::from_json(value) {
        Ok(_) if !string => None,
        Err(JsonNumberError::Number(
            ParseNumberError::TooManyDigits(_) | ParseNumberError::OutOfRange(_),
        )) if !string => None,
        Ok(_) => Some(format!(
            "{} is a string, not a JSON number",
            Escaped::new(value, EXCERPT)
        )),
        Err(e) => Some(e.to_string()),
    };
    if let Some(reason) = reason {
        return Err(ClientError::NotANumber { key, reason });
    }
    Ok(Reply {
        body: body.to_owned(),
        key,
        value: value.to_owned(),
    })
}

/// `reply` if its member's name is one the operation `op` answers with
/// (the course API's or the tidy one, [`crate::api::RESULT_KEYS`]), else
/// [`ClientError::WrongKey`].
pub fn check_key(op: &str, reply: Reply) -> Result<Reply, ClientError> {
    let known = op.parse::<Op>().ok();
    if known.is_some_and(|op| op.accepts(&reply.key)) {
        return Ok(reply);
    }
    Err(ClientError::WrongKey {
        op: op.to_owned(),
        key: reply.key,
        expected: known.map(Op::keys),
    })
}

/// The message in an error body: Chalice's `{"Code", "Message"}`, API
/// Gateway's own `{"message"}` (`Missing Authentication Token`, `Internal
/// server error`), or else the body on one line, or else the status. As the
/// server wrote it: the errors that carry it escape it when shown.
pub fn server_message(body: &str, status: StatusCode) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(rename = "Code")]
        code: Option<String>,
        #[serde(rename = "Message", alias = "message")]
        message: Option<String>,
    }
    if let Ok(ErrorBody {
        code,
        message: Some(message),
    }) = serde_json::from_str::<ErrorBody>(body)
    {
        // Chalice writes `BadRequestError: ...` in `Message`, repeating `Code`.
        let message = match &code {
            Some(code) => message
                .strip_prefix(code.as_str())
                .and_then(|m| m.strip_prefix(": "))
                .unwrap_or(&message),
            None => &message,
        };
        return message.to_owned();
    }
    if body.trim().is_empty() {
        return status.canonical_reason().unwrap_or("no message").to_owned();
    }
    excerpt(body)
}

/// A body that is not a result, for an error message: its words on one
/// line (the line breaks and indentation of an HTML page are layout), or
/// `(empty body)`. Errors show its first [`EXCERPT`] characters, escaped.
pub fn excerpt(text: &str) -> String {
    let line = one_line(text);
    if line.is_empty() {
        "(empty body)".to_owned()
    } else {
        line
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The innermost cause of an error, which is the one that says what
/// happened (`Connection refused (os error 111)`), lower-cased in front.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// The pause before retry number `retry` (1 for the first): `base`,
/// doubled for each further retry, capped at 10 s; then a random half of it
/// is dropped ("equal jitter": `fraction` in `[0, 1)`).
pub fn backoff(base: Duration, retry: u32, fraction: f64) -> Duration {
    let doubled = base.saturating_mul(1 << retry.saturating_sub(1).min(16));
    let capped = doubled.min(Duration::from_secs(10));
    capped.mul_f64(1.0 - fraction.clamp(0.0, 1.0) / 2.0)
}

/// A number in `[0, 1)` that differs between calls and processes, from the
/// standard library's randomly seeded hasher (no dependency for this).
fn random_fraction() -> f64 {
    use std::hash::BuildHasher;
    let bits = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> Url {
        parse_base(text).expect("a valid base URL")
    }

    #[test]
    fn the_default_url_is_the_local_server() {
        assert_eq!(default_url(), "http://127.0.0.1:8000/api");
        let config = ClientConfig::default();
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.retries, 2);
    }

    #[test]
    fn urls_join_with_or_without_a_trailing_slash() {
        for text in ["http://h:1/api", "http://h:1/api/", "http://h:1/api?x=1"] {
            assert_eq!(
                calculation_url(&base(text), "mult", "8", "5").as_str(),
                "http://h:1/api/mult/8/5"
            );
        }
        assert_eq!(
            calculation_url(&base(COURSE_URL), "div", "4", "5").as_str(),
            "https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api/div/4/5"
        );
        assert_eq!(
            calculation_url(&base("http://h"), "soma", "1", "2").as_str(),
            "http://h/soma/1/2"
        );
    }

    #[test]
    fn values_are_one_segment_each() {
        let url = calculation_url(&base("http://h/api"), "soma", "1/2", "3?4#5 %");
        assert_eq!(url.as_str(), "http://h/api/soma/1%2F2/3%3F4%235%20%25");
    }

    #[tokio::test]
    async fn values_that_are_not_numbers_and_dot_operations_are_refused_before_sending() {
        // Nothing listens on port 9; the refusal comes before any connection.
        let config = ClientConfig {
            base_url: "http://127.0.0.1:9/api".into(),
            ..ClientConfig::default()
        };
        let client = Client::new(config).expect("a client");
        for (a, b, position) in [("..", "1", 1), ("1", ".", 2), ("1", "1e1000", 2)] {
            let result = client.calculate("soma", a, b).await;
            assert!(
                matches!(result, Err(ClientError::BadValue { position: p, .. }) if p == position),
                "{a} {b}: {result:?}"
            );
        }
        for op in [".", ".."] {
            let result = client.calculate(op, "1", "2").await;
            assert!(
                matches!(result, Err(ClientError::Unsendable(_))),
                "{op}: {result:?}"
            );
        }
    }

    #[test]
    fn a_value_is_refused_with_the_calculators_sentence() {
        let refused = |text: &str| check_value(1, text).expect_err("not a number").to_string();
        assert_eq!(refused("abc"), r#"value 1: "abc" is not a number"#);
        assert_eq!(refused("NaN"), r#"value 1: "NaN" is not a finite number"#);
        assert_eq!(refused(""), "value 1: no number was given");
        assert_eq!(
            refused(&"9".repeat(101)),
            format!(
                r#"value 1: "{}… (101 bytes)" has more than 100 significant digits, the most a number may have"#,
                "9".repeat(60)
            )
        );
        for accepted in ["1e308", "-.5", "+2", " 7 ", &"9".repeat(100)] {
            assert!(check_value(2, accepted).is_ok(), "{accepted}");
        }
    }

    #[test]
    fn only_http_urls_are_accepted() {
        for text in ["ftp://h/api", "mailto:x@y", "127.0.0.1:8000", "", "api"] {
            assert!(
                matches!(parse_base(text), Err(ClientError::BadUrl(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn a_result_keeps_its_text() {
        let ok = |body| parse_reply(StatusCode::OK, "application/json", body);
        let reply = ok(r#"{"A multiplicação": 40}"#).expect("a result");
        assert_eq!(reply.key, "A multiplicação");
        assert_eq!(reply.value, "40");
        let reply = ok(r#"{"A divis\u00e3o":2.0}"#).expect("a result");
        assert_eq!(
            (reply.key.as_str(), reply.value.as_str()),
            ("A divisão", "2.0")
        );
        let reply = ok(r#"{"A divisão": 0.3333333333333333333333333333}"#).expect("a result");
        assert_eq!(reply.value, "0.3333333333333333333333333333");
    }

    #[test]
    fn a_result_beyond_the_bounds_of_an_input_is_still_a_result() {
        let ok = |body| parse_reply(StatusCode::OK, "application/json", body);
        // mult 1e999 1e999, and soma 1e999 1e-999 (1,999 digits): exact
        // answers of the server, beyond what an input may be.
        let reply = ok(r#"{"A multiplicação": 1e+1998}"#).expect("a result");
        assert_eq!(reply.value, "1e+1998");
        let sum = format!("1{}.{}1", "0".repeat(999), "0".repeat(998));
        let reply = ok(&format!(r#"{{"A soma: ": {sum}}}"#)).expect("a result");
        assert_eq!(reply.value, sum);
    }

    #[test]
    fn a_value_that_is_not_a_number_is_refused_saying_why() {
        let refused = |body| match parse_reply(StatusCode::OK, "application/json", body) {
            Err(e @ ClientError::NotANumber { .. }) => e.to_string(),
            other => panic!("{body}: {other:?}"),
        };
        let start = "the server's reply is not a calculator result:";
        for (body, why) in [
            (
                r#"{"A soma": "abc"}"#,
                r#"under "A soma", "abc" is not a number"#,
            ),
            (
                r#"{"A soma": "NaN"}"#,
                r#"under "A soma", "NaN" is not a finite number"#,
            ),
            (
                r#"{"A soma": null}"#,
                r#"under "A soma", null is not a number"#,
            ),
            (
                r#"{"A soma": [1]}"#,
                r#"under "A soma", [1] is not a number"#,
            ),
            (
                r#"{"A soma": "0.3"}"#,
                r#"under "A soma", "0.3" is a string, not a JSON number"#,
            ),
            (
                r#"{"A soma": "1e1000"}"#,
                r#"under "A soma", "1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#,
            ),
            (
                "{\"\\u001b\": true}",
                r#"under "\x1b", true is not a number"#,
            ),
        ] {
            assert_eq!(refused(body), format!("{start} {why}"), "{body}");
        }
    }

    #[test]
    fn other_shapes_are_not_results() {
        let ok = |body| parse_reply(StatusCode::OK, "application/json", body);
        for body in [r#"{}"#, r#"{"a": 1, "b": 2}"#, "[1]", "40", "null"] {
            assert!(
                matches!(ok(body), Err(ClientError::Unexpected { .. })),
                "{body}"
            );
        }
        for body in ["<html>oops</html>", "", "{\"a\": 1", "40 40"] {
            assert!(
                matches!(ok(body), Err(ClientError::NotJson { .. })),
                "{body}"
            );
        }
    }

    fn reply(key: &str) -> Reply {
        Reply {
            body: format!("{{{}: 1}}", serde_json::Value::from(key)),
            key: key.into(),
            value: "1".into(),
        }
    }

    #[test]
    fn the_course_key_and_the_tidy_one_are_accepted() {
        for (op, key) in [
            ("soma", "A soma: "),
            ("soma", "A soma"),
            ("sub", "A subtração:"),
            ("sub", "A subtração"),
            ("mult", "A multiplicação"),
            ("div", "A Divisão"),
            ("div", "A divisão"),
        ] {
            assert!(check_key(op, reply(key)).is_ok(), "{op} {key:?}");
        }
    }

    #[test]
    fn another_key_is_an_error_naming_it_and_the_expected_ones() {
        let error = |op, key| match check_key(op, reply(key)) {
            Err(e @ ClientError::WrongKey { .. }) => e.to_string(),
            other => panic!("{op} {key:?}: {other:?}"),
        };
        assert_eq!(
            error("mult", "x"),
            r#"the reply's key "x" does not name the operation mult: expected "A multiplicação""#
        );
        assert_eq!(
            error("soma", "A subtração"),
            r#"the reply's key "A subtração" does not name the operation soma: expected "A soma: " or "A soma""#
        );
        assert_eq!(
            error("pow", "A soma"),
            r#"the reply's key "A soma" does not name the operation pow: it is not one of soma, sub, div and mult"#
        );
        assert_eq!(
            error("div", "\u{1b}[2J\n"),
            r#"the reply's key "\x1b[2J\n" does not name the operation div: expected "A Divisão" or "A divisão""#
        );
    }

    #[test]
    fn no_route_names_the_path_and_the_operations() {
        let e = ClientError::NoRoute {
            path: "/api/pow/8/5".into(),
            known_op: false,
        };
        assert_eq!(
            e.to_string(),
            "the API has no route /api/pow/8/5 (403 Missing Authentication Token): its operations are soma, sub, div and mult"
        );
        assert!(e.is_refusal(), "another operation may work");
        let e = ClientError::NoRoute {
            path: "/prod/mult/8/5".into(),
            known_op: true,
        };
        assert!(
            e.to_string().ends_with(
                "its operations are soma, sub, div and mult, so the base URL is wrong: --url (or \
                 CALC_API_URL) must end with the API's stage, as in \
                 https://<id>.execute-api.<region>.amazonaws.com/api"
            ),
            "{e}"
        );
        assert!(!e.is_refusal(), "no operation will work");
    }

    #[test]
    fn server_messages_are_found_in_every_known_shape() {
        let status = StatusCode::BAD_REQUEST;
        assert_eq!(
            server_message(
                r#"{"Code": "BadRequestError", "Message": "division by zero"}"#,
                status
            ),
            "division by zero"
        );
        assert_eq!(
            server_message(
                r#"{"Code":"BadRequestError","Message":"BadRequestError: division by zero"}"#,
                status
            ),
            "division by zero"
        );
        assert_eq!(
            server_message(
                r#"{"message":"Missing Authentication Token"}"#,
                StatusCode::FORBIDDEN
            ),
            "Missing Authentication Token"
        );
        assert_eq!(
            server_message("<h1>Bad\nGateway</h1>", StatusCode::BAD_GATEWAY),
            "<h1>Bad Gateway</h1>"
        );
        assert_eq!(
            server_message("", StatusCode::SERVICE_UNAVAILABLE),
            "Service Unavailable"
        );
    }

    #[test]
    fn excerpts_are_short_single_lines() {
        let e = ClientError::NotJson {
            content_type: "text/html".into(),
            excerpt: excerpt(&"x\n".repeat(500)),
        };
        let text = e.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.ends_with("… (999 bytes)"), "{text}");
        assert!(text.chars().count() < 200, "{text}");
    }

    #[test]
    fn the_servers_text_is_shown_escaped() {
        let refused = ClientError::Refused {
            status: StatusCode::BAD_REQUEST,
            message: server_message(
                r#"{"Code": "BadRequestError", "Message": "a\u001b[2J\nb"}"#,
                StatusCode::BAD_REQUEST,
            ),
        };
        assert_eq!(
            refused.to_string(),
            r"the server refused the request (400 Bad Request): a\x1b[2J\nb"
        );
        let reply = Reply {
            body: "{\"a\u{202e}\":\r\n1}".into(),
            key: "a\u{202e}".into(),
            value: "1".into(),
        };
        assert_eq!(reply.shown(), r#"{"a\u{202e}":\r\n1}"#);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let base = Duration::from_millis(200);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_millis(400));
        assert_eq!(backoff(base, 3, 0.0), Duration::from_millis(800));
        assert_eq!(backoff(base, 40, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(base, 2, 0.5), Duration::from_millis(300));
        assert!(backoff(base, 2, 0.999) > Duration::from_millis(200));
        let f = random_fraction();
        assert!((0.0..1.0).contains(&f));
    }

    #[test]
    fn errors_read_as_one_sentence() {
        let e = ClientError::Unreachable {
            url: "http://127.0.0.1:1/api/mult/8/5".into(),
            reason: "connection refused (os error 111)".into(),
            attempts: 3,
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:1/api/mult/8/5: connection refused (os error 111) (tried 3 times)"
        );
        let e = ClientError::NotHttp {
            url: "http://127.0.0.1:22/api/mult/8/5".into(),
            reason: "invalid HTTP version parsed".into(),
        };
        assert_eq!(
            e.to_string(),
            "the server answered something that is not HTTP (invalid HTTP version parsed); http://127.0.0.1:22/api/mult/8/5 is not the calculator API"
        );
        let e = ClientError::Refused {
            status: StatusCode::BAD_REQUEST,
            message: "division by zero".into(),
        };
        assert_eq!(
            e.to_string(),
            "the server refused the request (400 Bad Request): division by zero"
        );
        assert!(e.is_refusal());
    }
}

//! The client: one method per remote procedure, over three transports.
//!
//! * `http`: JSON-RPC, one HTTP POST per call, on one keep-alive connection.
//!   Synchronous request-reply: the caller waits for each reply.
//! * `ws`: JSON-RPC on a WebSocket. Calls carry an `id`, so several can be in
//!   flight at once on the one connection and their replies matched as they
//!   come back, in any order: asynchronous request-reply ([`Client::all_at_once`]).
//! * `xml`: XML-RPC to `/RPC2`, the slide's protocol (works against Python's
//!   `SimpleXMLRPCServer` too).
//!
//! The JSON-RPC methods are generated from the `CalculatorAnswers` trait in
//! [`api`](crate::api) ([`CalculatorAnswersClient`](crate::api::CalculatorAnswersClient)):
//! `client.add(a, b).await` builds the request,
//! sends it, waits and decodes, like calling a local function. Results come
//! back as [`Answer`]s, the number's text with every digit the server sent.

use crate::api::{Answer, CalculatorAnswersClient as _, label};
use crate::xmlrpc;
use bytes::Bytes;
use common::escape::{Escaped, SHOWN};
use common::number::{Number, Operation};
use futures::stream::{FuturesUnordered, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonrpsee::core::ClientError as RpcError;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};
use std::time::Duration;

/// How the client talks to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// JSON-RPC in HTTP POST requests (one keep-alive connection).
    Http,
    /// JSON-RPC on one WebSocket.
    Ws,
    /// XML-RPC in HTTP POST requests to /RPC2 (the slide's protocol).
    Xml,
}

/// Why a call failed.
///
/// What the server said (a message, a reason) is kept as it came; shown,
/// it is escaped ([`common::escape`]), since a server can put a newline or
/// a terminal's escape sequence in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error: the call reached it and failed
    /// there (division by zero, invalid params, unknown method).
    #[error("{}", Escaped::new(.message, SHOWN))]
    Remote {
        /// The error's code (JSON-RPC error object, XML-RPC fault).
        code: i32,
        /// What went wrong, as the server says it.
        message: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach the server at {url}: {}", Escaped::new(.reason, SHOWN))]
    Unreachable {
        /// Where the client tried to go.
        url: String,
        /// What the system said.
        reason: String,
    },
    /// No answer in time.
    #[error("no answer from {url} within {secs} s")]
    Timeout {
        /// Where the client waited.
        url: String,
        /// How long.
        secs: f64,
    },
    /// The server answered something that is not a valid reply.
    #[error("the server's reply is not valid: {}", Escaped::new(.0, SHOWN))]
    InvalidReply(String),
}

impl ClientError {
    /// True if the server answered (with an error), as opposed to a failure
    /// to communicate.
    pub fn is_remote(&self) -> bool {
        matches!(self, ClientError::Remote { .. })
    }
}

/// One result of `calculate` or of the five calls: an operation and its outcome.
pub type Labelled = (Operation, Result<Answer, ClientError>);

/// A connection to the calculator.
pub struct Client {
    inner: Inner,
    url: String,
    timeout: Duration,
}

enum Inner {
    Http(HttpClient),
    Ws(WsClient),
    // Boxed: the hyper client is several times the size of the others.
    Xml(Box<XmlRpcClient>),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("url", &self.url).finish()
    }
}

/// The URL of the server at `addr` (HOST:PORT) for a transport.
pub fn url_for(transport: Transport, addr: &str) -> String {
    match transport {
        Transport::Http => format!("http://{addr}/"),
        Transport::Ws => format!("ws://{addr}/"),
        Transport::Xml => format!("http://{addr}{}", xmlrpc::PATH),
    }
}

impl Client {
    /// Connect to the server at `addr` (HOST:PORT). The WebSocket connects
    /// at once; HTTP connects on the first call. `timeout` bounds every call.
    pub async fn connect(
        transport: Transport,
        addr: &str,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let url = url_for(transport, addr);
        let inner = match transport {
            Transport::Http => Inner::Http(
                HttpClientBuilder::default()
                    .request_timeout(timeout)
                    .build(&url)
                    .map_err(|e| unreachable(&url, &e))?,
            ),
            Transport::Ws => {
                // The TCP connection is opened here rather than by jsonrpsee,
                // whose error hides the system's reason inside its own text
                // ("Error when opening the TCP socket: Connection refused").
                let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
                    .await
                    .map_err(|_| ClientError::Timeout {
                        url: url.clone(),
                        secs: timeout.as_secs_f64(),
                    })?
                    .map_err(|e| ClientError::Unreachable {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
                // Each call is one small frame: send it at once.
                let _ = stream.set_nodelay(true);
                Inner::Ws(
                    WsClientBuilder::default()
                        .request_timeout(timeout)
                        .connection_timeout(timeout)
                        .build_with_stream(&url, stream)
                        .await
                        .map_err(|e| unreachable(&url, &e))?,
                )
            }
            Transport::Xml => Inner::Xml(Box::new(XmlRpcClient::new(&url))),
        };
        Ok(Client {
            inner,
            url,
            timeout,
        })
    }

    /// The URL the client talks to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Call one of the five procedures: the result as the server wrote it.
    pub async fn call(&self, op: Operation, a: &Number, b: &Number) -> Result<Answer, ClientError> {
        let answer = match &self.inner {
            Inner::Http(c) => json_call(c, op, a, b).await,
            Inner::Ws(c) => json_call(c, op, a, b).await,
            Inner::Xml(c) => {
                let params = vec![xml_param(a), xml_param(b)];
                let value = self.xml(c.call(op.name(), params)).await?;
                return xmlrpc::number_from_value(&value)
                    .map(|n| Answer::from(&n))
                    .map_err(ClientError::InvalidReply);
            }
        };
        answer.map_err(|e| self.rpc_error(e))
    }

    /// Call `calculate`: all five results in one round trip.
    pub async fn calculate(&self, a: &Number, b: &Number) -> Result<Vec<Labelled>, ClientError> {
        let calc = match &self.inner {
            Inner::Http(c) => c.calculate(a.clone(), b.clone()).await,
            Inner::Ws(c) => c.calculate(a.clone(), b.clone()).await,
            Inner::Xml(c) => {
                let value = self
                    .xml(c.call("calculate", vec![xml_param(a), xml_param(b)]))
                    .await?;
                let results =
                    xmlrpc::calculation_from_value(&value).map_err(ClientError::InvalidReply)?;
                return Ok(results
                    .into_iter()
                    .map(|(op, r)| {
                        let r = r.map(|n| Answer::from(&n));
                        (op, r.map_err(|f| remote(f.code(), f.string())))
                    })
                    .collect());
            }
        }
        .map_err(|e| self.rpc_error(e))?;
        Ok(Operation::ALL
            .iter()
            .map(|op| {
                let outcome = calc.get(*op).0.clone();
                (*op, outcome.map_err(|e| remote(e.code(), e.message())))
            })
            .collect())
    }

    /// The five procedures one after the other: each call waits for its
    /// reply before the next is sent (synchronous request-reply).
    /// `on_result` sees each result as it arrives.
    pub async fn one_by_one(
        &self,
        a: &Number,
        b: &Number,
        mut on_result: impl FnMut(Labelled),
    ) -> Result<(), ClientError> {
        for op in Operation::ALL {
            let result = self.call(op, a, b).await;
            if let Err(e) = &result
                && !e.is_remote()
            {
                return Err(e.clone());
            }
            on_result((op, result));
        }
        Ok(())
    }

    /// The five procedures at once: all five requests are sent before any
    /// reply is awaited, and `on_result` sees the replies in the order they
    /// arrive (asynchronous request-reply). Over a WebSocket the five share
    /// one connection, told apart by their JSON-RPC ids.
    pub async fn all_at_once(
        &self,
        a: &Number,
        b: &Number,
        mut on_result: impl FnMut(Labelled),
    ) -> Result<(), ClientError> {
        let mut pending: FuturesUnordered<_> = Operation::ALL
            .into_iter()
            .map(|op| async move { (op, self.call(op, a, b).await) })
            .collect();
        while let Some((op, result)) = pending.next().await {
            if let Err(e) = &result
                && !e.is_remote()
            {
                return Err(e.clone());
            }
            on_result((op, result));
        }
        Ok(())
    }

    async fn xml(
        &self,
        call: impl Future<Output = Result<Result<dxr::Value, dxr::Fault>, XmlError>>,
    ) -> Result<dxr::Value, ClientError> {
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(ClientError::Timeout {
                url: self.url.clone(),
                secs: self.timeout.as_secs_f64(),
            }),
            Ok(Err(XmlError::Unreachable(reason))) => Err(ClientError::Unreachable {
                url: self.url.clone(),
                reason,
            }),
            Ok(Err(XmlError::Invalid(why))) => Err(ClientError::InvalidReply(why)),
            Ok(Ok(Err(fault))) => Err(remote(fault.code(), fault.string())),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }

    fn rpc_error(&self, e: RpcError) -> ClientError {
        match e {
            RpcError::Call(obj) => {
                let message = match obj.data() {
                    Some(data) => {
                        // `data` is JSON: show a string without its quotes and escapes.
                        let data = serde_json::from_str::<String>(data.get())
                            .unwrap_or_else(|_| data.get().to_owned());
                        format!("{}: {data}", obj.message())
                    }
                    None => obj.message().to_owned(),
                };
                ClientError::Remote {
                    code: obj.code(),
                    message,
                }
            }
            RpcError::RequestTimeout => ClientError::Timeout {
                url: self.url.clone(),
                secs: self.timeout.as_secs_f64(),
            },
            RpcError::Transport(_) | RpcError::RestartNeeded(_) => unreachable(&self.url, &e),
            other => ClientError::InvalidReply(other.to_string()),
        }
    }
}

async fn json_call<C>(client: &C, op: Operation, a: &Number, b: &Number) -> Result<Answer, RpcError>
where
    C: jsonrpsee::core::client::ClientT + Sync,
{
    let (a, b) = (a.clone(), b.clone());
    match op {
        Operation::Add => client.add(a, b).await,
        Operation::Sub => client.sub(a, b).await,
        Operation::Mul => client.mul(a, b).await,
        Operation::Pow => client.pow(a, b).await,
        Operation::Div => client.div(a, b).await,
    }
}

fn remote(code: i32, message: &str) -> ClientError {
    ClientError::Remote {
        code,
        message: message.to_owned(),
    }
}

fn unreachable(url: &str, e: &RpcError) -> ClientError {
    // jsonrpsee wraps the system's error in a few layers of context; the
    // innermost one is the one a person can act on ("Connection refused").
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    ClientError::Unreachable {
        url: url.to_owned(),
        reason,
    }
}

/// A number as an XML-RPC parameter: `<int>` or `<i8>` when it is whole
/// (as Python sends integers), `<double>` when a double holds it (its
/// shortest text is the number), and otherwise its digits in a `<string>`,
/// which this server reads exactly and other servers refuse, rather than a
/// silently rounded double.
fn xml_param(n: &Number) -> dxr::Value {
    xmlrpc::exact_value(n).unwrap_or_else(|| dxr::Value::String(n.to_string()))
}

/// The line the console prints for one result: `Somar: 25`, or
/// `Dividir: error: division by zero`.
pub fn result_line((op, result): &Labelled) -> String {
    match result {
        Ok(n) => format!("{}: {n}", label(*op)),
        Err(e) => format!("{}: error: {e}", label(*op)),
    }
}

/// Why an XML-RPC exchange failed below the XML-RPC level.
#[derive(Debug)]
pub enum XmlError {
    /// No connection, or it broke.
    Unreachable(String),
    /// The answer is not an XML-RPC response.
    Invalid(String),
}

/// A minimal XML-RPC client: POST a `<methodCall>`, read the
/// `<methodResponse>`. Connections are kept alive and reused.
#[derive(Clone)]
pub struct XmlRpcClient {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    url: String,
}

impl XmlRpcClient {
    /// A client for the XML-RPC endpoint at `url` (`http://host:port/RPC2`).
    pub fn new(url: &str) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            http: HyperClient::builder(TokioExecutor::new()).build(connector),
            url: url.to_owned(),
        }
    }

    /// Call `method` with `params`: the value, or the server's fault.
    pub async fn call(
        &self,
        method: &str,
        params: Vec<dxr::Value>,
    ) -> Result<Result<dxr::Value, dxr::Fault>, XmlError> {
        let body = xmlrpc::encode_call(method, params).map_err(XmlError::Invalid)?;
        let request = http::Request::post(&self.url)
            .header(http::header::CONTENT_TYPE, "text/xml")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| XmlError::Invalid(e.to_string()))?;
        let response = self.http.request(request).await.map_err(|e| {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason = s.to_string();
                source = s.source();
            }
            XmlError::Unreachable(reason)
        })?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| XmlError::Unreachable(e.to_string()))?
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        match xmlrpc::decode_response(&text) {
            Ok(answer) => Ok(answer),
            Err(_) if !status.is_success() => Err(XmlError::Invalid(format!("HTTP {status}"))),
            Err(why) => Err(XmlError::Invalid(why)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().expect("a number")
    }

    #[test]
    fn xml_parameters_never_round_silently() {
        assert_eq!(xml_param(&n("15")), dxr::Value::Integer(15));
        assert_eq!(
            xml_param(&n("576650390625")),
            dxr::Value::Long(576_650_390_625)
        );
        assert_eq!(xml_param(&n("0.5")), dxr::Value::Double(0.5));
        assert_eq!(xml_param(&n("0.1")), dxr::Value::Double(0.1));
        assert_eq!(xml_param(&n("1e308")), dxr::Value::Double(1e308));
        assert_eq!(
            xml_param(&n("0.12345678901234567890")),
            dxr::Value::String("0.1234567890123456789".into())
        );
        assert_eq!(
            xml_param(&n("12345678901234567890123")),
            dxr::Value::String("12345678901234567890123".into())
        );
    }

    #[test]
    fn results_are_labelled_as_the_exercise_console() {
        let ok: Labelled = (Operation::Pow, Ok(Answer::from(&n("576650390625"))));
        assert_eq!(result_line(&ok), "Potência: 576650390625");
        let failed: Labelled = (Operation::Div, Err(remote(1, "division by zero")));
        assert_eq!(result_line(&failed), "Dividir: error: division by zero");
    }

    #[test]
    fn what_the_server_says_is_shown_escaped() {
        let hostile: Labelled = (Operation::Add, Err(remote(1, "boom\x1b[2J\nSomar: 0")));
        assert_eq!(
            result_line(&hostile),
            r"Somar: error: boom\x1b[2J\nSomar: 0"
        );
    }
}

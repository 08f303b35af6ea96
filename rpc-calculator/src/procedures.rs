//! The procedures themselves, shared by both protocols.
//!
//! JSON-RPC and XML-RPC are two envelopes around the same call: a procedure
//! name and two numbers in, a number or an error out. [`Procedures`] is the
//! one implementation both envelopes unwrap to, so `add` cannot mean one
//! thing over JSON and another over XML. It also writes the server's
//! transcript, one line per call, as the slide's server printed each sum.

use crate::api::{Calculation, CalculatorServer, error_object};
use common::escape::{Escaped, SHOWN};
use common::number::{ArithmeticError, Number, Operation};
use jsonrpsee::Extensions;
use jsonrpsee::core::RpcResult;
use std::fmt;
use std::net::SocketAddr;

/// Where the server's transcript goes: one call per line.
pub use common::cli::Transcript;

/// The envelope a call arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// JSON-RPC in an HTTP POST (one request, one response).
    Http,
    /// JSON-RPC messages on a WebSocket (many calls, one connection).
    WebSocket,
    /// XML-RPC in an HTTP POST to `/RPC2`.
    XmlRpc,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Http => "json-rpc/http",
            Protocol::WebSocket => "json-rpc/ws",
            Protocol::XmlRpc => "xml-rpc",
        })
    }
}

/// Who called, and how: the server puts one in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The envelope.
    pub protocol: Protocol,
    /// The client's address.
    pub peer: SocketAddr,
}

/// The calculator's procedures, with an optional transcript.
#[derive(Clone, Default)]
pub struct Procedures {
    transcript: Option<Transcript>,
}

impl fmt::Debug for Procedures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Procedures")
            .field("transcript", &self.transcript.is_some())
            .finish()
    }
}

impl Procedures {
    /// Procedures that print nothing.
    pub fn quiet() -> Self {
        Self::default()
    }

    /// Procedures that report every call to `transcript`.
    pub fn with_transcript(transcript: Transcript) -> Self {
        Self {
            transcript: Some(transcript),
        }
    }

    fn say(&self, origin: Option<&Origin>, line: impl FnOnce() -> String) {
        if let Some(t) = &self.transcript {
            match origin {
                Some(o) => t(format!("[{} {}] {}", o.protocol, o.peer, line())),
                None => t(line()),
            }
        }
    }

    /// Run one operation: `add(15, 10) = 25`.
    pub fn compute(
        &self,
        origin: Option<&Origin>,
        op: Operation,
        a: &Number,
        b: &Number,
    ) -> Result<Number, ArithmeticError> {
        let result = op.apply(a, b);
        self.say(origin, || {
            format!("{}({a}, {b}) = {}", op.name(), shown(&result))
        });
        result
    }

    /// Report a call to a procedure that does not exist, with the name and
    /// the arguments as the client sent them: `mult(2, 3) = error: method
    /// not found`. Both are the client's text, so they are escaped and cut
    /// (a name can hold a newline that would forge a line, or a terminal's
    /// escape sequence).
    pub fn unknown(&self, origin: Option<&Origin>, method: &str, arguments: &str) {
        self.say(origin, || {
            format!(
                "{}({}) = error: method not found",
                Escaped::new(method, SHOWN),
                Escaped::new(arguments, SHOWN)
            )
        });
    }

    /// Run all five: `calculate(15, 10) = {add: 25, ...}`.
    pub fn calculate(&self, origin: Option<&Origin>, a: &Number, b: &Number) -> Calculation {
        let calc = Calculation::compute(a, b);
        self.say(origin, || {
            let parts: Vec<String> = Operation::ALL
                .iter()
                .map(|op| {
                    let result = match &calc.get(*op).0 {
                        Ok(n) => n.to_string(),
                        Err(e) => format!("error: {}", e.message()),
                    };
                    format!("{}: {result}", op.name())
                })
                .collect();
            format!("calculate({a}, {b}) = {{{}}}", parts.join(", "))
        });
        calc
    }

    fn rpc(&self, ext: &Extensions, op: Operation, a: Number, b: Number) -> RpcResult<Number> {
        self.compute(ext.get::<Origin>(), op, &a, &b)
            .map_err(|e| error_object(&e))
    }
}

fn shown(result: &Result<Number, ArithmeticError>) -> String {
    match result {
        Ok(n) => n.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

impl CalculatorServer for Procedures {
    fn add(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Number> {
        self.rpc(ext, Operation::Add, a, b)
    }

    fn sub(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Number> {
        self.rpc(ext, Operation::Sub, a, b)
    }

    fn mul(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Number> {
        self.rpc(ext, Operation::Mul, a, b)
    }

    fn pow(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Number> {
        self.rpc(ext, Operation::Pow, a, b)
    }

    fn div(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Number> {
        self.rpc(ext, Operation::Div, a, b)
    }

    fn calculate(&self, ext: &Extensions, a: Number, b: Number) -> RpcResult<Calculation> {
        Ok(Procedures::calculate(self, ext.get::<Origin>(), &a, &b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn the_transcript_names_the_call_its_origin_and_its_result() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let procedures = Procedures::with_transcript(Arc::new(move |l| {
            sink.lock().expect("lock").push(l);
        }));
        let origin = Origin {
            protocol: Protocol::XmlRpc,
            peer: "127.0.0.1:5000".parse().expect("address"),
        };
        let n = |i: i64| Number::from(i);
        let _ = procedures.compute(Some(&origin), Operation::Add, &n(15), &n(10));
        let _ = procedures.compute(None, Operation::Div, &n(1), &n(0));
        let _ = procedures.calculate(None, &n(15), &n(10));
        procedures.unknown(None, "ad\nd\x1b[2J", "1, 2");
        assert_eq!(
            *lines.lock().expect("lock"),
            [
                "[xml-rpc 127.0.0.1:5000] add(15, 10) = 25",
                "div(1, 0) = error: division by zero",
                "calculate(15, 10) = {add: 25, sub: 5, mul: 150, pow: 576650390625, div: 1.5}",
                r"ad\nd\x1b[2J(1, 2) = error: method not found",
            ]
        );
    }
}

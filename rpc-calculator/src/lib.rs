//! Remote procedure calls: a calculator whose operations run on a server.
//!
//! Remote invocation is request-reply: the client sends a request naming a
//! procedure and its arguments, the server runs the procedure and sends the
//! reply with the result or an error. By default it is *synchronous*: the
//! client is blocked until the reply arrives, and the reply doubles as the
//! acknowledgement that the request was received. The *asynchronous*
//! alternative sends requests without waiting and collects the replies
//! later, each matched to its request by an id. Middleware writes the
//! envelopes (marshalling), so the call reads like a local one:
//! `client.add(15, 10).await` → `25`.
//!
//! This crate answers two envelope formats on one port:
//!
//! * **JSON-RPC 2.0** ([jsonrpsee]), over HTTP (one POST per call or batch)
//!   and over WebSocket (many calls in flight on one connection):
//!
//!   ```text
//!   → {"jsonrpc":"2.0","id":1,"method":"add","params":[15,10]}
//!   ← {"jsonrpc":"2.0","id":1,"result":25}
//!   → {"jsonrpc":"2.0","id":2,"method":"div","params":[1,0]}
//!   ← {"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"division by zero"}}
//!   ```
//!
//! * **XML-RPC** at `/RPC2`, the protocol of the course's Python
//!   `SimpleXMLRPCServer`, so the slide's client runs unchanged against it:
//!
//!   ```text
//!   → <methodCall><methodName>add</methodName><params>
//!       <param><value><int>15</int></value></param>
//!       <param><value><int>10</int></value></param></params></methodCall>
//!   ← <methodResponse><params><param><value><i4>25</i4></value></param></params></methodResponse>
//!   ```
//!
//! The procedures (`add`, `sub`, `mul`, `pow`, `div`, and `calculate` for
//! all five at once) compute with [`common::number`]'s arbitrary-precision
//! decimals: `add(1e28, 0.1)` is `10000000000000000000000000000.1`,
//! `pow(15, 40)` has its 48 digits, a quotient that does not end is rounded
//! to 34 digits, and what has no answer (division by zero, a power beyond
//! the bounds) is an error, never a wrong number. JSON-RPC carries every
//! result exactly; XML-RPC, whose numbers are integers and doubles, carries
//! what it can ([`xmlrpc::result_value`]) and says so when it cannot.
//!
//! Modules: [`api`] the remote interface (the `#[rpc]` trait and its types),
//! [`procedures`] its one implementation, [`xmlrpc`] the XML-RPC envelope
//! (pure functions), [`server`] the server (`run(listener, ...)`: the caller
//! binds, so tests use port 0), [`client`] the client, [`input`] the client's
//! console.

pub mod api;
pub mod client;
pub mod input;
pub mod procedures;
pub mod server;
pub mod xmlrpc;

/// The number rules, as both binaries' `--help` states them.
pub const NUMBERS_HELP: &str = "\
Numbers: add, sub and mul are exact, every digit (add 1e28 0.1 = 10000000000000000000000000000.1);
div is exact when the quotient ends (div 1e-28 1e28 = 1e-56), otherwise rounded to 34 significant
digits, half to even (div 1 3 = 0.3333333333333333333333333333333333); pow is exact for a whole
exponent, refused when the exact value would be beyond 1e±10000 or need more than 3000 digits, and
computed in doubles for a fractional one (pow 2 0.5 = 1.4142135623730951). Inputs: at most 100
significant digits, 0 or between 1e-999 and 1e+1000 in magnitude (1e308 is fine).
JSON-RPC carries every result exactly. XML-RPC carries doubles: a quotient that does not end
arrives rounded to the nearest double, as Python's own server computes it; any other result no
XML-RPC number holds exactly (add 1e28 0.1) is a fault saying that JSON-RPC carries it exactly.";

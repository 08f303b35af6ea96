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
//! all five at once) compute exactly with [`common::number`]: `pow(15, 10)`
//! is `576650390625`, `div(15, 10)` is `1.5`, and what has no exact answer
//! (division by zero, overflow) is an error, never a wrong number.
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

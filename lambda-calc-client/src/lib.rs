//! REST and serverless: the course's calculator API, its client, and the
//! same API as an AWS Lambda function.
//!
//! **REST** (Representational State Transfer) is a style of using HTTP as
//! it was designed: every thing the service offers is a *resource* with a
//! URL, a fixed set of *verbs* acts on resources (`GET` reads, and is safe
//! and idempotent), and the *status code* says how it went (`200` OK, `400`
//! the request is wrong, `404` no such resource, `5xx` the server failed).
//! Each request carries everything needed to answer it, so the server keeps
//! no session: any copy of it can answer any request.
//!
//! That statelessness is what makes **serverless** possible. On AWS, API
//! Gateway receives the HTTP request and hands it, as a JSON event, to a
//! Lambda function: a program that AWS starts when requests come (a *cold
//! start*), keeps warm while they keep coming, runs in as many copies as the
//! traffic needs, and bills per request. The course's calculator, "Rest API
//! Calc", is such a function, written with Python's Chalice:
//!
//! ```text
//! GET https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api/mult/8/5
//! 200 {"A multiplicação": 40}
//! ```
//!
//! This crate has every part of it, in Rust:
//!
//! * [`api`]: the contract as pure functions (`respond("mult", "8", "5")`),
//!   exact decimal arithmetic from [`common::number`];
//! * [`server`]: the API as an axum [`Router`](axum::Router) ([`server::app`])
//!   and a local HTTP server for it (`lambda-calc-server`, port 8000 as
//!   `chalice local`);
//! * `lambda` (feature `lambda`): the same router as a Lambda function,
//!   through `lambda_http`, answering API Gateway's REST (v1) and HTTP (v2)
//!   events in any stage;
//! * [`client`]: a client with a timeout and retries (`lambda-calc-client`);
//! * [`session`]: the slide's dialogue, pipes and one-shot use.

pub mod api;
pub mod client;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod server;
pub mod session;

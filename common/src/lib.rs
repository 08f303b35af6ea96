//! What the comm-mechanisms exercises share, and nothing more.
//!
//! Every exercise crate of the workspace depends on this crate and on no other
//! exercise crate, so a student who copies one exercise copies `common` with it.
//! That is why it stays small:
//!
//! * [`addr`]: the default address of every exercise, taken from the course
//!   slides. Each binary accepts `--listen` / `--connect` (or `--url`) to
//!   override it.
//! * [`message`]: the message types that cross process boundaries, with serde.
//! * [`escape`]: text that came from a peer, made safe to log, print or
//!   show (control characters escaped, long strings cut).
//! * [`number`]: numbers as people type them and exact arithmetic on them,
//!   for the three calculators (WebSocket adder, RPC, REST).
//! * `cli` (feature `cli`, used by every exercise): the plumbing of the
//!   binaries, the same in all of them: logs on stderr, a shutdown token
//!   cancelled by Ctrl-C or SIGTERM, standard input read on its own thread,
//!   standard output that tolerates a closed pipe.
//! * `serve` (feature `serve`, used by every server): the one accept loop,
//!   with a connection cap, timeouts and a bounded clean shutdown; with the
//!   feature `http` (or `axum`), HTTP/1.1 served with header and body
//!   timeouts.
//! * `testing` (feature `test-support`, used by integration tests only): start
//!   a program under test, learn the address it bound, talk to it, and kill it
//!   when the test ends. The command can be replaced through an environment
//!   variable so that the same tests grade another implementation. With the
//!   feature `browser`, also a headless Chromium for the pages.
//!
//! The features keep what a crate does not use out of its build: the tour
//! needs neither tokio nor a WebDriver client, and only two exercises serve
//! a page to test in a browser.

pub mod addr;
pub mod escape;
pub mod message;
pub mod number;
pub mod platform;

#[cfg(feature = "cli")]
pub mod cli;

#[cfg(feature = "serve")]
pub mod serve;

#[cfg(any(feature = "serve", feature = "test-support"))]
pub mod sys;

#[cfg(feature = "test-support")]
pub mod testing;

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
//! * [`number`]: numbers as people type them and exact arithmetic on them,
//!   for the three calculators (WebSocket adder, RPC, REST).
//! * `testing` (feature `test-support`, used by integration tests only): start
//!   a program under test, learn the address it bound, talk to it, and kill it
//!   when the test ends. The command can be replaced through an environment
//!   variable so that the same tests grade another implementation.

pub mod addr;
pub mod message;
pub mod number;

#[cfg(feature = "test-support")]
pub mod testing;

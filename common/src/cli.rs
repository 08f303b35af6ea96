//! The plumbing every exercise binary shares: logs, Ctrl-C and SIGTERM,
//! standard input and standard output.
//!
//! Every server and client of the workspace follows the same conventions
//! (see the workspace README): logs go to stderr and `RUST_LOG` filters
//! them; stdout carries only the program's real output, so it works in a
//! pipe; a server stops cleanly on Ctrl-C and on SIGTERM; a client reads its
//! input to the end, from a terminal or a pipe. Each of those is a few lines
//! with one subtle point, and the subtle point is why they live here, once:
//!
//! * [`shutdown_on_signals`] installs the signal handlers *when it is
//!   called*, so a server calls it before it prints `listening on <addr>`;
//! * [`stdin_lines`] reads standard input on a thread of its own, so a
//!   blocked read of a terminal never keeps a program from exiting;
//! * [`print_line`] ignores a closed stdout, so `program | head -1` does not
//!   panic as `println!` would;
//! * [`init_logging`] keeps the logs on stderr, in colour only on a terminal;
//! * [`exit_code`] turns an error into one `error: ...` line and exit code 1.
//!
//! A server's transcript and operator ([`Console`]) are here too: two
//! exercises have a server operator typing on stdin.
//!
//! The binaries stay thin `clap` wrappers that call these, and each crate's
//! library takes a `CancellationToken` and plain channels, so its tests and
//! benchmarks never touch signals or the terminal.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Install the log subscriber of a binary: lines on stderr (never stdout,
/// which carries the program's output), filtered by `RUST_LOG`, or by
/// `default_filter` when `RUST_LOG` is unset or invalid (`"warn"` in most
/// exercises). Colours on a terminal only: a log file, a pipe or a test
/// reading stderr gets plain text.
///
/// The lines are written by a thread of their own through a bounded queue
/// (see [`stdout_transcript`]): a terminal paused with Ctrl-S, or a pipe
/// nobody reads, costs log lines, never the service.
///
/// Call it once, first thing in `main`.
pub fn init_logging(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_writer(|| QueueWriter(stderr_queue()))
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .init();
}

/// The exit status of a program whose work ended with `result`: success, or
/// one line `error: ...` on stderr and exit code 1, never a panic's
/// backtrace. The line is [`one_line`]: the error and its causes, each
/// reason once (`cannot listen on 127.0.0.1:80: Permission denied (os error
/// 13)`).
///
/// Before it returns, what the queues of the transcript and the logs still
/// hold is written out (waiting at most [`FLUSH_AT_EXIT`] for a stalled
/// stdout or stderr).
pub fn exit_code<E>(result: Result<(), E>) -> std::process::ExitCode
where
    E: AsRef<dyn std::error::Error + Send + Sync + 'static>,
{
    flush_queues(FLUSH_AT_EXIT);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error and the chain of its causes on one line, each reason once.
///
/// A cause is appended (`: cause`) unless the line already says it: a
/// `thiserror` variant that writes its source into its own message, or a
/// context that quotes the error it wraps, would otherwise print the same
/// reason twice (`cannot connect to 127.0.0.1:1: Connection refused (os
/// error 111) (is the server running?): Connection refused (os error 111)`).
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let reason = e.to_string();
        if !line.contains(&reason) {
            line.push_str(": ");
            line.push_str(&reason);
        }
        cause = e.source();
    }
    line
}

/// A token that is cancelled when the process receives Ctrl-C (SIGINT) or
/// SIGTERM: hand it to the server's `run(listener, ..., shutdown)`, which
/// stops accepting, lets the open connections finish, and returns.
///
/// The handlers are installed before this returns (not when a future is
/// first polled), and from then on the signals no longer kill the process.
/// That is why a server calls this *before* it prints `listening on
/// <addr>`: whoever reads that line (a test, a service manager) may signal
/// at once, and a signal that arrived before the handlers would kill the
/// process the default way, skipping the clean shutdown.
///
/// Must be called inside a tokio runtime (with its I/O driver, as
/// `#[tokio::main]` has): it spawns the task that waits for the signals.
/// Outside Unix, only Ctrl-C is watched.
pub fn shutdown_on_signals() -> std::io::Result<CancellationToken> {
    let signals = stop_signals()?;
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        signals.await;
        tracing::info!("stop requested");
        cancel.cancel();
    });
    Ok(token)
}

/// The signals that ask the program to stop. Handlers are installed when
/// this returns, not when the future is first awaited.
#[cfg(unix)]
fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let handle = |kind: SignalKind, name: &str| {
        signal(kind)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot handle {name}: {e}")))
    };
    let mut interrupt = handle(SignalKind::interrupt(), "SIGINT")?;
    let mut terminate = handle(SignalKind::terminate(), "SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}

/// Windows has no signals but console events: Ctrl-C typed in the console,
/// Ctrl-Break (what a test, or a service wrapper, sends to a program
/// started in a process group of its own: Ctrl-C cannot be sent to one
/// program there), the console window closed, and the system shutting
/// down (both give about 5 s, the shutdown's grace).
#[cfg(windows)]
fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::windows;
    fn handle<T>(made: std::io::Result<T>, name: &str) -> std::io::Result<T> {
        made.map_err(|e| std::io::Error::new(e.kind(), format!("cannot handle {name}: {e}")))
    }
    let mut interrupt = handle(windows::ctrl_c(), "Ctrl-C")?;
    let mut brk = handle(windows::ctrl_break(), "Ctrl-Break")?;
    let mut close = handle(windows::ctrl_close(), "the console closing")?;
    let mut shutdown = handle(windows::ctrl_shutdown(), "the system shutting down")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = brk.recv() => {},
            _ = close.recv() => {},
            _ = shutdown.recv() => {},
        }
    })
}

#[cfg(not(any(unix, windows)))]
fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The lines of standard input, read on a thread of their own.
///
/// A dedicated thread (not `tokio::io::stdin`) because a blocking read of a
/// terminal cannot be cancelled: on a runtime thread it would keep the
/// program from exiting until the user pressed Enter. Bytes that are not
/// UTF-8 are replaced rather than ending the input; line endings (`\n` or
/// `\r\n`) are removed. The channel closes at the end of input (Ctrl-D, or
/// the end of a pipe). Call it once: each call starts a reader.
pub fn stdin_lines() -> mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match stdin.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Print one line on standard output, ignoring a closed pipe
/// (`<program> | head -1` must not panic, as `println!` would).
pub fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Where a server's transcript goes (who connected, what was asked and
/// answered): one call per line. `None` in a server's configuration, or
/// [`stdout_transcript`] for the binaries' default, or any closure (tests
/// collect the lines).
pub type Transcript = Arc<dyn Fn(String) + Send + Sync>;

/// A transcript printed on standard output that can never hold up the
/// server.
///
/// Writing to stdout blocks when nobody reads it: a terminal paused with
/// Ctrl-S, `server | (read l; sleep 120)`, a slow log collector. Written
/// from the server's tasks, that would stop every client (and the signal
/// handler's task with them). So a line is only appended to a bounded
/// buffer ([`QUEUE_BYTES`]) that a thread of its own writes out; when stdout
/// stalls and the buffer is full, new lines are dropped and counted, and
/// once stdout drains the thread prints one `N transcript lines dropped`.
///
/// Peer text in a line must already be escaped ([`crate::escape`]).
pub fn stdout_transcript() -> Transcript {
    let queue = stdout_queue();
    Arc::new(move |line: String| queue.push(&line))
}

/// How many bytes of lines the stdout and stderr queues hold before new
/// lines are dropped.
pub const QUEUE_BYTES: usize = 256 * 1024;

/// How long [`exit_code`] waits for the queues to be written out.
pub const FLUSH_AT_EXIT: Duration = Duration::from_secs(1);

/// How long the writing thread lets lines gather once the first arrives:
/// a busy server then wakes it (and whoever reads stdout) two hundred times
/// a second, not once per line, and a person reading still sees each line
/// at once. Measured with socket-chat's benchmark at 50 connections: the
/// transcript cost 12% of the throughput with 1 ms, 0 to 3% with 5 ms.
const GATHER: Duration = Duration::from_millis(5);

/// Lines waiting to be written, and what the writing thread must know.
#[derive(Default)]
struct Pending {
    /// The lines, each ending with a newline.
    bytes: Vec<u8>,
    /// Lines dropped since the last notice.
    dropped: u64,
    /// Callers of [`LineQueue::flush`] waiting for what is queued now.
    flushes: Vec<std::sync::mpsc::Sender<()>>,
    /// The writing thread waits for lines (and must be woken).
    idle: bool,
}

/// A bounded buffer of lines and the thread that writes them.
///
/// Two buffers take turns: the servers' tasks append to one under a lock
/// held for a copy, the thread writes the other out. No allocation crosses
/// threads and a line costs one copy, which keeps a transcript within a
/// few percent of a quiet server's throughput.
struct LineQueue {
    pending: Mutex<Pending>,
    wake: Condvar,
}

impl LineQueue {
    /// Start the thread writing into `out`; `what` names the lines in the
    /// drop notice ("transcript", "log").
    fn start(out: impl std::io::Write + Send + 'static, what: &'static str) -> Arc<Self> {
        let queue = Arc::new(Self {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
        });
        let writer = Arc::clone(&queue);
        std::thread::spawn(move || writer.write_out(out, what));
        queue
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while appending cannot leave the buffer inconsistent.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, line: &str) {
        let newline = usize::from(!line.ends_with('\n'));
        let mut pending = self.lock();
        if pending.bytes.len() + line.len() + newline > QUEUE_BYTES {
            pending.dropped += 1;
            return;
        }
        pending.bytes.extend_from_slice(line.as_bytes());
        if newline == 1 {
            pending.bytes.push(b'\n');
        }
        let wake = std::mem::take(&mut pending.idle);
        drop(pending);
        if wake {
            self.wake.notify_one();
        }
    }

    /// The writing thread: wait for lines, let a burst gather, write it in
    /// one go, and say how many were dropped meanwhile.
    fn write_out(&self, mut out: impl std::io::Write, what: &str) {
        let mut writing = Vec::with_capacity(QUEUE_BYTES);
        loop {
            let mut pending = self.lock();
            while pending.bytes.is_empty() && pending.dropped == 0 && pending.flushes.is_empty() {
                pending.idle = true;
                pending = self.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
            }
            drop(pending);
            std::thread::sleep(GATHER);
            let mut pending = self.lock();
            std::mem::swap(&mut pending.bytes, &mut writing);
            let dropped = std::mem::take(&mut pending.dropped);
            let flushes = std::mem::take(&mut pending.flushes);
            drop(pending);
            let _ = out.write_all(&writing);
            writing.clear();
            if dropped > 0 {
                let _ = writeln!(out, "{dropped} {what} lines dropped");
            }
            let _ = out.flush();
            for done in flushes {
                let _ = done.send(());
            }
        }
    }

    /// Wait until what is queued now is written, for at most `within`.
    fn flush(&self, within: Duration) -> bool {
        let (done, written) = std::sync::mpsc::channel();
        {
            let mut pending = self.lock();
            pending.flushes.push(done);
            pending.idle = false;
        }
        self.wake.notify_one();
        written.recv_timeout(within).is_ok()
    }
}

static STDOUT_QUEUE: OnceLock<Arc<LineQueue>> = OnceLock::new();
static STDERR_QUEUE: OnceLock<Arc<LineQueue>> = OnceLock::new();

fn stdout_queue() -> &'static LineQueue {
    STDOUT_QUEUE.get_or_init(|| LineQueue::start(std::io::stdout(), "transcript"))
}

fn stderr_queue() -> &'static LineQueue {
    STDERR_QUEUE.get_or_init(|| LineQueue::start(std::io::stderr(), "log"))
}

/// Write out what the transcript and log queues hold, waiting at most
/// `within` for each; `false` if something could not be written in time.
pub fn flush_queues(within: Duration) -> bool {
    // Both are flushed, whatever the first one's outcome.
    let flushed: Vec<bool> = [&STDOUT_QUEUE, &STDERR_QUEUE]
        .into_iter()
        .filter_map(|queue| queue.get())
        .map(|queue| queue.flush(within))
        .collect();
    flushed.into_iter().all(|done| done)
}

/// A log event on its way into the stderr queue: `tracing` formats each
/// event into one `write`, which becomes one queued line.
struct QueueWriter(&'static LineQueue);

impl std::io::Write for QueueWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A server's side of the terminal: the transcript it prints, and the lines
/// its operator types ([`stdin_lines`] in the binaries, any channel in tests
/// and examples). What the operator's lines mean is the server's own: the
/// socket chat's operator answers the client, the WebSocket server pushes
/// them to every open page.
#[derive(Default)]
pub struct Console {
    /// Where the transcript goes; `None`: nowhere.
    pub transcript: Option<Transcript>,
    /// The operator's lines; `None`: there is no operator.
    pub operator: Option<mpsc::Receiver<String>>,
}

impl Console {
    /// No transcript, no operator (benchmarks, tests).
    pub fn quiet() -> Self {
        Self::default()
    }

    /// Send the transcript to `transcript`.
    pub fn with_transcript(mut self, transcript: Transcript) -> Self {
        self.transcript = Some(transcript);
        self
    }

    /// Take the operator's lines from `lines`.
    pub fn with_operator(mut self, lines: mpsc::Receiver<String>) -> Self {
        self.operator = Some(lines);
        self
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot connect to {addr}: {source} (is the server running?)")]
    struct Refused {
        addr: &'static str,
        source: std::io::Error,
    }

    fn refused() -> std::io::Error {
        std::io::Error::from(std::io::ErrorKind::ConnectionRefused)
    }

    #[test]
    fn a_reason_the_message_already_holds_is_not_repeated() {
        let e = Refused {
            addr: "127.0.0.1:1",
            source: refused(),
        };
        assert_eq!(
            one_line(&e),
            format!(
                "cannot connect to 127.0.0.1:1: {} (is the server running?)",
                refused()
            )
        );
    }

    #[test]
    fn causes_the_message_does_not_hold_are_appended_in_order() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80")]
        struct Listen(#[source] std::io::Error);
        let e = Listen(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(
            one_line(&e),
            format!(
                "cannot listen on 127.0.0.1:80: {}",
                std::io::Error::from(std::io::ErrorKind::PermissionDenied)
            )
        );
    }
}

#[cfg(test)]
mod queue_tests {
    use super::*;
    use std::sync::Mutex;

    /// A stdout that blocks until the test opens it, like a paused terminal.
    struct Gated {
        open: std::sync::mpsc::Receiver<()>,
        opened: bool,
        out: Arc<Mutex<Vec<u8>>>,
    }

    impl std::io::Write for Gated {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if !self.opened {
                let _ = self.open.recv();
                self.opened = true;
            }
            self.out.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_output_drops_and_counts_lines_instead_of_blocking() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let (open, gate) = std::sync::mpsc::channel();
        let queue = LineQueue::start(
            Gated {
                open: gate,
                opened: false,
                out: Arc::clone(&out),
            },
            "transcript",
        );
        // More lines than the writer can hold while the gate is shut: one
        // batch taken (at most QUEUE_BYTES, however late the writer takes
        // it on a busy machine) and the buffer (as much again). Each line
        // is at least 7 bytes.
        let pushed = 2 * QUEUE_BYTES / 7 + 100;
        // Never blocks, though nothing is written yet.
        for n in 0..pushed {
            queue.push(&format!("line {n}"));
        }
        open.send(()).expect("open the gate");
        assert!(queue.flush(Duration::from_secs(20)), "the queue drains");
        let text = String::from_utf8(out.lock().expect("lock").clone()).expect("utf-8");
        let written = text.lines().filter(|l| l.starts_with("line ")).count();
        let notice = text
            .lines()
            .find_map(|l| l.strip_suffix(" transcript lines dropped"))
            .expect("a drop notice");
        let dropped: usize = notice.parse().expect("a count");
        assert!(dropped > 0);
        assert_eq!(written + dropped, pushed, "{dropped} dropped");
        assert!(
            text.starts_with("line 0\n"),
            "the first lines are kept, in order"
        );
    }

    #[test]
    fn lines_come_out_whole_and_in_order() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let (open, gate) = std::sync::mpsc::channel();
        open.send(()).expect("open");
        let queue = LineQueue::start(
            Gated {
                open: gate,
                opened: false,
                out: Arc::clone(&out),
            },
            "log",
        );
        queue.push("one");
        queue.push("two\n");
        queue.push("< a\n> b");
        assert!(queue.flush(Duration::from_secs(20)));
        let text = String::from_utf8(out.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(text, "one\ntwo\n< a\n> b\n");
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    // One test for both signals, in order: a handler, once installed,
    // stays for the life of the test process, so only the first signal
    // sent proves that the call itself installs them (a lazy handler would
    // let SIGINT kill this process, failing the test run).
    #[tokio::test(flavor = "current_thread")]
    async fn a_signal_sent_right_after_the_call_cancels_the_token() {
        for signal in ["-INT", "-TERM"] {
            let token = shutdown_on_signals().expect("handlers installed");
            // The spawned task has not run yet (current-thread runtime, no
            // await so far): only handlers installed by the call itself
            // keep this signal from killing the test process.
            let sent = std::process::Command::new("kill")
                .args([signal, &std::process::id().to_string()])
                .status()
                .expect("run kill");
            assert!(sent.success());
            tokio::time::timeout(Duration::from_secs(20), token.cancelled())
                .await
                .unwrap_or_else(|_| panic!("{signal} did not cancel the token"));
        }
    }
}

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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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
/// backtrace. The error is printed with `{:#}`, so an `anyhow::Error` shows
/// its whole chain of causes on that line (`cannot listen on
/// 127.0.0.1:80: Permission denied (os error 13)`).
///
/// Before it returns, what the queues of the transcript and the logs still
/// hold is written out (waiting at most [`FLUSH_AT_EXIT`] for a stalled
/// stdout or stderr).
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    flush_queues(FLUSH_AT_EXIT);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
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

#[cfg(not(unix))]
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
/// handler's task with them). So a line is only put in a bounded queue
/// ([`QUEUE_LINES`] lines) that a thread of its own writes out; when stdout
/// stalls and the queue is full, new lines are dropped and counted, and
/// once stdout drains the thread prints one `N transcript lines dropped`.
///
/// Peer text in a line must already be escaped ([`crate::escape`]).
pub fn stdout_transcript() -> Transcript {
    let queue = stdout_queue();
    Arc::new(move |line: String| queue.push(line))
}

/// How many lines the stdout and stderr queues hold before new ones are
/// dropped.
pub const QUEUE_LINES: usize = 4096;

/// How long [`exit_code`] waits for the queues to be written out.
pub const FLUSH_AT_EXIT: Duration = Duration::from_secs(1);

/// One line, or a request to confirm that everything before it is written.
enum Queued {
    Line(String),
    Flushed(std::sync::mpsc::Sender<()>),
}

/// A bounded queue of lines and the thread that writes them.
struct LineQueue {
    lines: std::sync::mpsc::SyncSender<Queued>,
    dropped: Arc<AtomicU64>,
}

impl LineQueue {
    /// Start the thread writing into `out`; `what` names the lines in the
    /// drop notice ("transcript", "log").
    fn start(mut out: impl std::io::Write + Send + 'static, what: &'static str) -> Self {
        let (lines, queued) = std::sync::mpsc::sync_channel::<Queued>(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&dropped);
        std::thread::spawn(move || {
            let mut waiting = Vec::new();
            // Write what is queued, then flush once the queue is empty: one
            // system call per burst, not per line.
            while let Ok(first) = queued.recv() {
                let mut next = Some(first);
                while let Some(item) = next {
                    match item {
                        Queued::Line(line) => {
                            let _ = out.write_all(line.as_bytes());
                            if !line.ends_with('\n') {
                                let _ = out.write_all(b"\n");
                            }
                        }
                        Queued::Flushed(done) => waiting.push(done),
                    }
                    next = queued.try_recv().ok();
                }
                let lost = counted.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    let _ = writeln!(out, "{lost} {what} lines dropped");
                }
                let _ = out.flush();
                for done in waiting.drain(..) {
                    let _ = done.send(());
                }
            }
        });
        Self { lines, dropped }
    }

    fn push(&self, line: String) {
        if self.lines.try_send(Queued::Line(line)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Wait until what is queued now is written, for at most `within`.
    fn flush(&self, within: Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        let (done, written) = std::sync::mpsc::channel();
        let mut request = Queued::Flushed(done);
        loop {
            match self.lines.try_send(request) {
                Ok(()) => break,
                Err(std::sync::mpsc::TrySendError::Full(back)) => {
                    if std::time::Instant::now() >= deadline {
                        return false;
                    }
                    request = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return false,
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        written.recv_timeout(left).is_ok()
    }
}

static STDOUT_QUEUE: OnceLock<LineQueue> = OnceLock::new();
static STDERR_QUEUE: OnceLock<LineQueue> = OnceLock::new();

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
        self.0.push(String::from_utf8_lossy(buf).into_owned());
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
        let pushed = QUEUE_LINES + 100;
        // Never blocks, though nothing is written yet.
        for n in 0..pushed {
            queue.push(format!("line {n}"));
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
        queue.push("one".into());
        queue.push("two\n".into());
        queue.push("< a\n> b".into());
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

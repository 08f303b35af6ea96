//! Black-box test support: run the real program, talk to it over the wire.
//!
//! Integration tests of every exercise start the program under test as a child
//! process, exactly as a user would, and never link to its internals. That is
//! what lets the same tests grade another implementation of the protocol: the
//! command that starts the program can be replaced through an environment
//! variable, for example
//!
//! ```text
//! SOCKET_CHAT_SERVER="python3 my_server.py" cargo test -p socket-chat
//! ```
//!
//! The replacement is run by `sh -c 'exec <command> "$@"'`, so it may hold
//! arguments and quotes, and the arguments each test passes (`--listen
//! 127.0.0.1:0 --mode echo`, ...) are appended to it.
//!
//! Servers follow one convention that makes the tests free of fixed ports and
//! blind sleeps: they accept `--listen 127.0.0.1:0`, and once bound they print
//! `listening on <addr>` as the first line of standard output.
//! [`Launcher::start_server`] waits for that line (with a deadline, never a
//! fixed sleep) and hands the address to the test.
//!
//! Every wait has a deadline, [`timeout()`], which `TEST_TIMEOUT_SECS` can
//! raise on a slow machine. A helper that fails panics with what it was
//! waiting for, the lines it saw and the program's standard error, so a
//! failing test explains itself.
//!
//! Beside the program itself, the helpers that several exercises' tests
//! need: test tiers ([`require`], [`has_program`], [`has_python_module`]),
//! the slides' Python programs ([`run_python`], [`spawn_python`]), HTTP
//! spoken by hand ([`http_exchange`], [`HttpReply`]), a port nobody listens
//! on ([`closed_port`]), memory figures of a process ([`rss_kib`],
//! [`peak_rss_kib`]), hostile clients that hold connections open
//! ([`hostile`]), and, with the `browser` feature, a headless Chromium
//! (`testing::browser`); with the `databases` feature, MariaDB, PostgreSQL
//! and SQLite of a test's own (`testing::databases`). [`reference`]: Python's `decimal` as the reference
//! for the calculators' answers, and generators of numbers for property tests.

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "databases")]
pub mod databases;
pub mod hostile;
pub mod reference;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that sets [`timeout()`], in whole seconds.
pub const TEST_TIMEOUT_VAR: &str = "TEST_TIMEOUT_SECS";

/// [`timeout()`] when [`TEST_TIMEOUT_VAR`] is not set.
pub const DEFAULT_TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// How long any single wait may last before the test fails.
///
/// 20 seconds by default; set `TEST_TIMEOUT_SECS` to change it.
pub fn timeout() -> Duration {
    std::env::var(TEST_TIMEOUT_VAR)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(DEFAULT_TEST_TIMEOUT, Duration::from_secs)
}

/// The prefix of the first stdout line of every server.
pub const LISTENING_PREFIX: &str = "listening on ";

/// How to start one program under test: an environment variable that may hold
/// a replacement command, and the program to run otherwise.
#[derive(Debug, Clone)]
pub struct Launcher {
    replacement: Option<String>,
    default_program: OsString,
    /// Arguments before the caller's (`-3` of `py -3`).
    default_args: Vec<OsString>,
    env_var: Option<String>,
}

/// The environment variable that asks every [`Launcher`] to say which
/// program under test it starts (set by the `grade` tool).
pub const GRADE_REPORT: &str = "GRADE_REPORT";

/// The start of the line a [`Launcher`] writes on stderr, when
/// [`GRADE_REPORT`] is `1`, each time it starts its program:
/// `GRADE: uses SOCKET_CHAT_SERVER`. The grader counts a test for a
/// submission only if the test ran one of the submission's programs.
pub const GRADE_USES: &str = "GRADE: uses ";

impl Launcher {
    /// `env_var` names the variable that may replace the program (for example
    /// `SOCKET_CHAT_SERVER`); `default_program` is the path of our binary,
    /// usually `env!("CARGO_BIN_EXE_<name>")`.
    pub fn new(env_var: &str, default_program: impl AsRef<Path>) -> Self {
        let replacement = std::env::var(env_var).ok().filter(|s| !s.trim().is_empty());
        Self {
            env_var: Some(env_var.to_owned()),
            ..Self::with_replacement(replacement, default_program)
        }
    }

    /// A launcher for `program` that no environment variable replaces.
    pub fn fixed(program: impl AsRef<Path>) -> Self {
        Self::with_replacement(None, program)
    }

    /// A launcher for Python 3, as this platform names it
    /// ([`crate::platform::python_words`]).
    pub fn python() -> Self {
        let words = crate::platform::python_words();
        Self {
            default_args: words[1..].to_vec(),
            ..Self::fixed(&words[0])
        }
    }

    /// A launcher that runs `replacement` through the shell when it is
    /// `Some`, and `default_program` otherwise.
    pub fn with_replacement(
        replacement: Option<String>,
        default_program: impl AsRef<Path>,
    ) -> Self {
        Self {
            replacement,
            default_program: default_program.as_ref().as_os_str().to_owned(),
            default_args: Vec::new(),
            env_var: None,
        }
    }

    /// The replacement command, if one was given.
    pub fn replacement(&self) -> Option<&str> {
        self.replacement.as_deref()
    }

    /// True when the program under test is ours (no replacement command).
    /// Tests that look inside the process (memory use) check this first.
    pub fn is_default(&self) -> bool {
        self.replacement.is_none()
    }

    /// The command line that would run, for messages.
    pub fn describe(&self, args: &[&str]) -> String {
        let program = self.replacement.clone().unwrap_or_else(|| {
            std::iter::once(&self.default_program)
                .chain(&self.default_args)
                .map(|word| word.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        });
        std::iter::once(program.as_str())
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A `Command` for this program with `args`, stdio not yet configured.
    pub fn command(&self, args: &[&str]) -> Command {
        if let Some(var) = &self.env_var
            && std::env::var(GRADE_REPORT).is_ok_and(|v| v == "1")
        {
            // Straight to the stderr handle, like `require`: the test
            // harness captures `eprintln!`, and the grader must see this.
            let _ = writeln!(std::io::stderr(), "{GRADE_USES}{var}");
        }
        let cmd = match &self.replacement {
            Some(replacement) => crate::platform::shell_command(replacement, args),
            None => {
                let mut cmd = Command::new(&self.default_program);
                cmd.args(&self.default_args).args(args);
                cmd
            }
        };
        #[cfg(windows)]
        let cmd = {
            // A process group of its own, so that `Program::interrupt` can
            // send it Ctrl-Break alone.
            use std::os::windows::process::CommandExt as _;
            const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
            let mut cmd = cmd;
            cmd.creation_flags(CREATE_NEW_PROCESS_GROUP);
            cmd
        };
        cmd
    }

    /// Start the program with `args`, stdin, stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Program {
        self.spawn_with(args, |_| {})
    }

    /// Like [`Launcher::spawn`], letting the caller adjust the command first
    /// (environment, working directory).
    pub fn spawn_with(&self, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Program {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        adjust(&mut cmd);
        let description = self.describe(args);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start `{description}`: {e}"));
        Program::new(description, child)
    }

    /// Start a server with `args` and wait until it prints `listening on <addr>`.
    pub fn start_server(&self, args: &[&str]) -> Program {
        let mut program = self.spawn(args);
        program.wait_listening();
        program
    }
}

/// A running program under test. Killed (and reaped) when dropped.
pub struct Program {
    description: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stdout_open: bool,
    stdout_paused: Arc<(Mutex<bool>, std::sync::Condvar)>,
    stdout_discarded: Arc<std::sync::atomic::AtomicBool>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<thread::JoinHandle<()>>,
    addr: Option<String>,
}

/// What a program left behind when it exited.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// The stdout lines it printed that the test had not already consumed.
    pub stdout: Vec<String>,
    /// The stdout lines the test consumed before (`next_line`, `expect_line`, ...).
    pub consumed: Vec<String>,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl Program {
    fn new(description: String, mut child: Child) -> Self {
        let stdin = child.stdin.take();
        let (tx, stdout) = mpsc::channel();
        let stdout_paused = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let stdout_discarded = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if let Some(out) = child.stdout.take() {
            let paused = Arc::clone(&stdout_paused);
            let discarded = Arc::clone(&stdout_discarded);
            thread::spawn(move || {
                let mut reader = BufReader::new(out);
                let mut buf = Vec::new();
                loop {
                    // While paused, nothing is read: the pipe fills up and
                    // the program's writes to stdout block.
                    let (lock, resumed) = &*paused;
                    if let Ok(mut is_paused) = lock.lock() {
                        while *is_paused {
                            match resumed.wait(is_paused) {
                                Ok(guard) => is_paused = guard,
                                Err(_) => return,
                            }
                        }
                    }
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if discarded.load(std::sync::atomic::Ordering::Relaxed) => {}
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buf);
                            let line = line.trim_end_matches(['\n', '\r']).to_owned();
                            if tx.send(line).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_reader = child.stderr.take().map(|mut err| {
            let sink = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = err.read(&mut chunk) {
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    }
                }
            })
        });
        Self {
            description,
            child,
            stdin,
            stdout,
            stdout_open: true,
            stdout_paused,
            stdout_discarded,
            seen: Vec::new(),
            stderr,
            stderr_reader,
            addr: None,
        }
    }

    /// The operating system's id of the process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address the server printed in its `listening on <addr>` line.
    pub fn addr(&self) -> &str {
        match &self.addr {
            Some(addr) => addr,
            None => panic!("`{}` has not printed `listening on`", self.description),
        }
    }

    /// The address as a socket address; panics if it is not one (a Unix path).
    pub fn socket_addr(&self) -> std::net::SocketAddr {
        let addr = self.addr();
        let bare = addr.rsplit(' ').next().unwrap_or(addr);
        bare.parse()
            .unwrap_or_else(|e| panic!("`{addr}` is not a socket address: {e}"))
    }

    /// The stdout lines consumed so far, in order.
    pub fn consumed(&self) -> &[String] {
        &self.seen
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n  program: {}\n  stdout lines seen: {:?}\n  stderr:\n{}",
            self.description,
            self.seen,
            indent(&self.stderr())
        )
    }

    /// Wait for the first stdout line, which must be `listening on <addr>`.
    #[track_caller]
    pub fn wait_listening(&mut self) -> &str {
        let first = self.next_line_within(timeout());
        let Some(first) = first else {
            self.fail("the server ended or stayed silent instead of printing `listening on <addr>`")
        };
        let Some(addr) = first.strip_prefix(LISTENING_PREFIX) else {
            self.fail(&format!(
                "the server's first stdout line must be `listening on <addr>`, it was {first:?}"
            ))
        };
        self.addr = Some(addr.trim().to_owned());
        self.addr()
    }

    /// The next stdout line, or `None` if the program closed stdout or
    /// `within` passed first.
    pub fn next_line_within(&mut self, within: Duration) -> Option<String> {
        if !self.stdout_open {
            return None;
        }
        match self.stdout.recv_timeout(within) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                self.stdout_open = false;
                None
            }
        }
    }

    /// The next stdout line; fails the test if none comes in time.
    #[track_caller]
    pub fn next_line(&mut self) -> String {
        match self.next_line_within(timeout()) {
            Some(line) => line,
            None => self.fail("expected another line on stdout"),
        }
    }

    /// Skip stdout lines until one satisfies `pred`, and return it.
    #[track_caller]
    pub fn line_where(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line_within(left) {
                Some(line) if pred(&line) => return line,
                Some(_) => continue,
                None => self.fail(&format!("expected a stdout line {what}")),
            }
        }
    }

    /// Skip stdout lines until one equals `expected`.
    #[track_caller]
    pub fn expect_line(&mut self, expected: &str) {
        self.line_where(&format!("equal to {expected:?}"), |l| l == expected);
    }

    /// Skip stdout lines until one contains `needle`, and return it.
    #[track_caller]
    pub fn line_containing(&mut self, needle: &str) -> String {
        self.line_where(&format!("containing {needle:?}"), |l| l.contains(needle))
    }

    /// Write `line` and a newline to the program's stdin.
    #[track_caller]
    pub fn write_line(&mut self, line: &str) {
        let Some(stdin) = self.stdin.as_mut() else {
            self.fail("stdin is already closed")
        };
        let written = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush());
        if let Err(e) = written {
            self.fail(&format!("could not write {line:?} to stdin: {e}"));
        }
    }

    /// Stop reading the program's stdout, as a terminal paused with Ctrl-S
    /// or a pipe nobody reads: once the pipe's buffer is full (64 KiB on
    /// Linux, plus one line already read here), the program's writes to
    /// stdout block. [`Program::resume_stdout`] reads on.
    pub fn pause_stdout(&self) {
        self.set_stdout_paused(true);
    }

    /// Keep reading the program's stdout but throw the lines away, as a
    /// terminal scrolling by: for benchmarks of a server with its
    /// transcript on, where keeping every line would cost the test's memory.
    pub fn discard_stdout(&self) {
        self.stdout_discarded
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Read the program's stdout again after [`Program::pause_stdout`].
    pub fn resume_stdout(&self) {
        self.set_stdout_paused(false);
    }

    fn set_stdout_paused(&self, paused: bool) {
        let (lock, resumed) = &*self.stdout_paused;
        if let Ok(mut is_paused) = lock.lock() {
            *is_paused = paused;
        }
        resumed.notify_all();
    }

    /// Close the program's stdin (end of input, as Ctrl-D or the end of a pipe).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Fails the test if the process has exited.
    #[track_caller]
    pub fn assert_running(&mut self) {
        if !self.is_running() {
            self.fail("the program exited, but it should still be running");
        }
    }

    /// Ask the program to stop as Ctrl-C would (SIGINT; on Windows,
    /// Ctrl-Break, which our servers take the same way).
    pub fn interrupt(&self) {
        self.signal(Signal::Interrupt);
    }

    /// Ask the program to stop as a service manager would (SIGTERM; on
    /// Windows, Ctrl-Break).
    pub fn terminate(&self) {
        self.signal(Signal::Terminate);
    }

    fn signal(&self, signal: Signal) {
        #[cfg(unix)]
        {
            let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
                return;
            };
            let sig = match signal {
                Signal::Interrupt => libc::SIGINT,
                Signal::Terminate => libc::SIGTERM,
            };
            // SAFETY: kill(2) only reads its two integer arguments; the pid is
            // our own child, not yet reaped (we hold `Child`), so it cannot
            // have been reused by another process.
            unsafe {
                libc::kill(pid, sig);
            }
        }
        // Windows: Ctrl-Break to the program's process group (its own, see
        // `Launcher::command`), which our servers take as Ctrl-C; one
        // program cannot be sent Ctrl-C itself, and there is no SIGTERM.
        #[cfg(windows)]
        {
            #[link(name = "kernel32")]
            unsafe extern "system" {
                fn GenerateConsoleCtrlEvent(event: u32, process_group: u32) -> i32;
            }
            const CTRL_BREAK_EVENT: u32 = 1;
            let _ = signal;
            // SAFETY: the call only reads its two integers; the group is our
            // child's own, not yet reaped.
            unsafe {
                GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, self.child.id());
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            let _ = signal;
        }
    }

    /// Close stdin and wait for the program to exit by itself; fails the test
    /// if it is still running after [`timeout()`].
    #[track_caller]
    pub fn finish(self) -> Finished {
        self.finish_within(timeout())
    }

    /// [`Program::finish`] for a program known to take long (a large
    /// workbook in a debug build): fails the test if it is still running
    /// after `within`.
    #[track_caller]
    pub fn finish_within(mut self, within: Duration) -> Finished {
        self.close_stdin();
        self.resume_stdout();
        let deadline = Instant::now() + within;
        let mut rest = Vec::new();
        // The process closes stdout when it exits; reading to that end also
        // collects the lines it printed on the way out.
        while self.stdout_open {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => self.stdout_open = false,
                Err(RecvTimeoutError::Timeout) => self.fail("the program did not exit in time"),
            }
        }
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    // stdout is closed, so exit is imminent: yield briefly.
                    thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => self.fail("the program closed stdout but did not exit in time"),
                Err(e) => self.fail(&format!("could not wait for the program: {e}")),
            }
        };
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        Finished {
            status,
            stdout: rest,
            consumed: std::mem::take(&mut self.seen),
            stderr: self.stderr(),
        }
    }
}

enum Signal {
    Interrupt,
    Terminate,
}

impl Drop for Program {
    /// Stop the program the way a user would (SIGTERM), so that it removes
    /// what it owns (a Unix socket file, a private upload directory); kill
    /// it only if it has not exited after a short grace period.
    fn drop(&mut self) {
        self.resume_stdout();
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
            let deadline = Instant::now() + DROP_GRACE;
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a dropped program gets to exit after SIGTERM before it is killed.
const DROP_GRACE: Duration = Duration::from_secs(3);

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Test tiers: call before a test that needs a tool beyond Rust and Python 3.
///
/// Returns `true` when the tool is `available`. Otherwise the test should
/// return early: this prints `SKIPPED: <test>: <why>` on stderr, or, when
/// `REQUIRE_ALL_TESTS=1` (as in CI), fails the test, because there a missing
/// tool is an installation error, not a reason to skip.
#[track_caller]
pub fn require(test: &str, available: bool, why: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var("REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
        panic!("{test}: {why} (REQUIRE_ALL_TESTS=1, so this is a failure, not a skip)");
    }
    // Straight to the stderr handle, not `eprintln!`: the test harness
    // captures `eprintln!` of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
    false
}

/// True if `program --version` runs and exits successfully.
pub fn has_program(program: &str) -> bool {
    runs(Command::new(program).arg("--version"))
}

/// True if `command` starts and exits successfully, its output dropped.
fn runs(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run the Python 3 script `source` with `args`, feeding `stdin`; returns the
/// finished process. Python 3 (standard library only) is part of the plain
/// test tier, so a missing interpreter fails the test with a clear message.
#[track_caller]
pub fn run_python(source: &str, args: &[&str], stdin: &str) -> Finished {
    let mut program = spawn_python(source, args);
    if let Some(mut input) = program.stdin.take() {
        let written = input.write_all(stdin.as_bytes());
        drop(input);
        if let Err(e) = written {
            program.fail(&format!("could not write to python's stdin: {e}"));
        }
    }
    program.finish()
}

/// Start the Python 3 script `source` with `args` and return it running
/// (for Python servers: follow with [`Program::wait_listening`]).
#[track_caller]
pub fn spawn_python(source: &str, args: &[&str]) -> Program {
    let python = Launcher::python();
    if !has_python() {
        panic!(
            "Python 3 is needed by the plain test tier (standard library only), and `{}` is \
             not it; install Python 3, or name it in {}",
            python.describe(&[]),
            crate::platform::PYTHON_VAR
        );
    }
    let mut all = vec!["-u", "-c", source];
    all.extend_from_slice(args);
    python.spawn(&all)
}

/// True if Python 3 runs here ([`crate::platform::python`]).
pub fn has_python() -> bool {
    runs(crate::platform::python().arg("--version"))
}

/// True if Python 3 can import `module` (a PyPI package such as
/// `websockets.asyncio.client` or `xlwt`): the test tier of tests that need
/// one, for [`require`].
pub fn has_python_module(module: &str) -> bool {
    runs(crate::platform::python().args(["-c", &format!("import {module}")]))
}

/// The path of binary `bin` of package `package`, built in the profile of
/// the running program (release for `cargo run --release --example ...`).
///
/// For benchmarks, which run as examples: they measure the server as users
/// run it, a separate process started from its binary, and `cargo run
/// --example` does not build the package's binaries. This runs `cargo build`
/// for that one binary (quick when it is up to date) with the `cargo` that
/// started the example (`$CARGO`), and fails with the reason otherwise.
pub fn built_binary(package: &str, bin: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the path of this program");
    // target/<profile>/examples/<example> or target/<profile>/deps/<test>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("this program runs from cargo's target directory");
    let release = profile_dir
        .file_name()
        .is_some_and(|name| name == "release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", package, "--bin", bin]);
    if release {
        build.arg("--release");
    }
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {bin}: {e}"));
    assert!(status.success(), "cargo could not build {bin}");
    let path = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

/// A loopback address that nothing listens on (bound, then released), for
/// testing what a client does when the server is not there.
pub fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

/// The resident memory of process `pid` now, in KiB (`VmRSS` in
/// `/proc/<pid>/status`). `None` where there is no `/proc` (not Linux) or
/// the process is gone: memory tests then [`require`] it and skip.
pub fn rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

/// The CPU time process `pid` has used so far, user and system, all its
/// threads (`utime` + `stime` in `/proc/<pid>/stat`). Unlike a rate, CPU
/// time per operation is not moved by what other programs, or a virtual
/// machine's neighbours, take from the cores: benchmarks print it beside
/// their rates. `None` where there is no `/proc`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count from after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of the whole line; the state (field 3) is the first here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let per_second = clock_ticks_per_second()?;
    Some(Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

/// The unit of `/proc`'s CPU times.
#[cfg(unix)]
fn clock_ticks_per_second() -> Option<u64> {
    // SAFETY: sysconf only reads its integer argument.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(per_second).ok().filter(|&t| t > 0)
}

#[cfg(not(unix))]
fn clock_ticks_per_second() -> Option<u64> {
    None
}

/// The peak resident memory of process `pid` so far, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM")
}

/// A `<field>:   1234 kB` line of `/proc/<pid>/status`.
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The names of the entries of `dir`, hidden ones included, sorted.
#[track_caller]
pub fn file_names(dir: &Path) -> Vec<String> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// An HTTP/1.1 answer as it came over the wire, for tests that speak HTTP
/// by hand (to control every byte of the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The status code (`200`).
    pub status: u16,
    /// The headers in order, names lower-cased: `("content-type", "text/xml")`.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked, as text (invalid UTF-8 replaced).
    pub body: String,
}

impl HttpReply {
    /// Parse a whole answer, read until the server closed the connection:
    /// the body is what follows the head, or its chunks when
    /// `Transfer-Encoding: chunked`. Fails the test if it is not HTTP.
    #[track_caller]
    pub fn parse(raw: &[u8]) -> HttpReply {
        let text = String::from_utf8_lossy(raw);
        let Some((head, rest)) = text.split_once("\r\n\r\n") else {
            panic!("not an HTTP answer: {text:?}");
        };
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        HttpReply {
            status,
            headers,
            body,
        }
    }

    /// The value of header `name` (any case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; fails the test if it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {:?}", self.body))
    }
}

/// The body of a chunked answer: the chunks' data, extensions ignored.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// Send `request` (the whole HTTP request, byte for byte) on a fresh
/// connection to `addr`, read the answer until the server closes, and parse
/// it. The request should say `Connection: close`.
///
/// A server may answer (413, 400) and close before reading all of a large
/// request, so a failed write is not an error, and a reset after a complete
/// answer still leaves the answer; no answer at all fails the test.
#[track_caller]
pub fn http_exchange(addr: std::net::SocketAddr, request: &[u8]) -> HttpReply {
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    if let Err(e) = stream.read_to_end(&mut answer) {
        assert!(
            e.kind() == std::io::ErrorKind::ConnectionReset && !answer.is_empty(),
            "no answer from the server: {e}"
        );
    }
    HttpReply::parse(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_command_receives_the_test_arguments() {
        // `echo` stands in for a student's program: it prints what it was
        // given. The default program, `false`, would print nothing.
        let launcher = Launcher::with_replacement(Some("echo".into()), "false");
        assert!(!launcher.is_default());
        assert_eq!(launcher.replacement(), Some("echo"));
        let mut program = launcher.spawn(&["listening on", "127.0.0.1:9"]);
        assert_eq!(program.wait_listening(), "127.0.0.1:9");
    }

    #[test]
    fn without_a_replacement_the_default_program_runs() {
        let launcher = Launcher::with_replacement(None, "echo");
        assert!(launcher.is_default());
        let mut program = launcher.spawn(&["listening on", "127.0.0.1:9"]);
        assert_eq!(program.wait_listening(), "127.0.0.1:9");
    }

    #[test]
    fn a_command_from_the_environment_runs_through_the_shell() {
        let launcher = Launcher::with_replacement(Some("printf '%s|%s\\n'".into()), "false");
        let mut program = launcher.spawn(&["a b", "c"]);
        assert_eq!(program.next_line(), "a b|c");
        assert!(program.finish().status.success());
    }

    #[test]
    fn finish_collects_the_remaining_lines_and_the_status() {
        let program = Launcher::fixed("sh").spawn(&["-c", "echo one; echo two >&2; exit 3"]);
        let done = program.finish();
        assert_eq!(done.stdout, ["one"]);
        assert_eq!(done.stderr.trim(), "two");
        assert_eq!(done.status.code(), Some(3));
    }

    #[test]
    fn require_passes_when_available() {
        assert!(require("self-test", true, "never printed"));
    }

    #[test]
    fn a_chunked_answer_is_reassembled_and_header_names_are_lower_cased() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        let reply = HttpReply::parse(raw);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.headers[0].0, "content-type");
        assert_eq!(reply.header("Content-Type"), Some("application/json"));
        assert_eq!(reply.body, r#"{"a":1}"#);
        assert_eq!(reply.json()["a"], 1);
    }

    #[test]
    fn an_answer_without_chunks_keeps_its_body_as_sent() {
        let reply = HttpReply::parse(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n");
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, "no\n");
        assert_eq!(reply.header("x-missing"), None);
    }

    #[test]
    fn nothing_answers_on_a_closed_port() {
        assert!(std::net::TcpStream::connect(closed_port()).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn cpu_time_grows_with_work() {
        let pid = std::process::id();
        let before = cpu_time(pid).expect("utime and stime");
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(200) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        assert_ne!(x, 1);
        let after = cpu_time(pid).expect("utime and stime");
        assert!(
            after >= before + Duration::from_millis(100),
            "{before:?} -> {after:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn memory_figures_come_from_proc() {
        let pid = std::process::id();
        let now = rss_kib(pid).expect("VmRSS");
        let peak = peak_rss_kib(pid).expect("VmHWM");
        assert!(now > 0 && peak >= now, "VmRSS {now} kB, VmHWM {peak} kB");
    }

    #[test]
    fn file_names_are_sorted_and_include_hidden_ones() {
        let dir = std::env::temp_dir().join(format!("common-file-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        for name in ["b", ".a", "c"] {
            std::fs::write(dir.join(name), b"").expect("a file");
        }
        let names = file_names(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(names, [".a", "b", "c"]);
    }
}

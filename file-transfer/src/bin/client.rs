//! `file-transfer-client`: list, download and upload files; run the exercise.
//!
//! A thin wrapper: parse flags, find the password, call the library's
//! client, print one line per result on stdout, a progress bar on stderr
//! (only on a terminal), and one `error: ...` line on failure.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use common::cli::print_line;
use common::escape::escape;
use file_transfer::client::{self, Progress};
use file_transfer::exercise::{self, Exercise, Login, Wait};
use file_transfer::names::MAX_NAME;
use file_transfer::server::DEFAULT_CHUNK;
use file_transfer::wire::hex;
use file_transfer::{DEFAULT_USER, PASSWORD_ENV, format_time, parse_size, prompt_password};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// File transfer client: list, download (get) and upload (put) files, or
/// run the course's exercise (download, edit, send back).
///
/// The password comes from FILE_TRANSFER_PASSWORD, --password-file, or is
/// asked for on the terminal.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Server address, HOST:PORT.
    #[arg(long, global = true, value_name = "HOST:PORT", default_value = common::addr::FILE_TRANSFER)]
    connect: String,
    /// The account to log in as.
    #[arg(long, global = true, default_value = DEFAULT_USER)]
    user: String,
    /// Read the password from the first line of FILE.
    #[arg(long, global = true, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Seconds to wait for the server before giving up.
    #[arg(long, global = true, default_value_t = 60.0, value_name = "SECS")]
    timeout: f64,
    /// Bytes of file content per data frame sent (up to 1MiB).
    #[arg(long, global = true, value_parser = parse_size, value_name = "SIZE")]
    chunk: Option<u64>,
    /// No progress bar, even on a terminal.
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Download NAME into DEST (default: NAME in the current directory).
    Get {
        /// The file on the server.
        name: String,
        /// Where to save it: a file name, or a directory to save NAME in.
        dest: Option<PathBuf>,
        /// Continue a broken download from DEST.part instead of starting over.
        #[arg(long)]
        resume: bool,
        /// Receive from the slide's server: no login, read until it closes
        /// (NAME is then only the default DEST).
        #[arg(long, conflicts_with = "resume")]
        raw: bool,
        /// With --raw: also compute and show the SHA-256 of what arrived, to
        /// compare with the server's file (our protocol always checks it).
        #[arg(long, requires = "raw")]
        sha256: bool,
    },
    /// Upload FILE as NAME (default: FILE's own name).
    Put {
        /// The local file.
        file: PathBuf,
        /// The name on the server.
        name: Option<String>,
        /// Let the server keep what it received if the upload breaks, and
        /// continue a broken upload instead of starting over.
        #[arg(long)]
        resume: bool,
    },
    /// List the files on the server.
    Ls,
    /// The course's exercise: download FT_teste.xlsx as
    /// FT_arquivo_recebido.xlsx, wait for your edit, send it back.
    Exercise {
        /// How long to wait for the edit: `enter`, `change` (until the file
        /// is saved), or a number of seconds. Default: `enter` on a
        /// terminal, `change` otherwise.
        #[arg(long, value_name = "enter|change|SECS")]
        wait: Option<Wait>,
        /// With `--wait change`: give up, sending nothing, if the file has
        /// not changed after SECS seconds.
        #[arg(long, value_name = "SECS", default_value_t = exercise::MAX_WAIT.as_secs_f64())]
        max_wait: f64,
        /// The file on the server.
        #[arg(long, default_value = exercise::REMOTE)]
        remote: String,
        /// The local copy.
        #[arg(long, default_value = exercise::LOCAL)]
        local: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    common::cli::exit_code(run(Args::parse()).await)
}

/// A progress bar with speed and ETA on stderr, or nothing when stderr is
/// not a terminal (a pipe, a log file, a test).
struct Bar(ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Self(ProgressBar::with_draw_target(None, target))
    }
}

impl Progress for Bar {
    fn begin(&self, total: u64, done: u64) {
        let template = if total > 0 {
            "{bytes:>10} / {total_bytes} [{bar:30}] {binary_bytes_per_sec} ETA {eta}"
        } else {
            "{spinner} {bytes:>10} {binary_bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.0.set_style(style.progress_chars("=> "));
        }
        self.0.set_length(total);
        self.0.set_position(done);
        self.0.reset_eta();
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn end(&self) {
        self.0.finish_and_clear();
    }
}

fn password(args: &Args) -> anyhow::Result<String> {
    if let Some(p) = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()) {
        return Ok(p);
    }
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    prompt_password(&format!("password for {}@{}: ", args.user, args.connect)).with_context(|| {
        format!("no password: set {PASSWORD_ENV}, use --password-file FILE, or run on a terminal")
    })
}

async fn run(args: Args) -> anyhow::Result<()> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let chunk = match args.chunk {
        None => DEFAULT_CHUNK,
        Some(n @ 1..=1_048_576) => n as usize,
        Some(_) => anyhow::bail!("--chunk must be from 1 byte to 1MiB"),
    };
    let bar = Bar::new(args.quiet);

    if let Command::Get {
        name,
        dest,
        raw: true,
        sha256,
        ..
    } = &args.command
    {
        let dest = client::destination(name, dest.as_deref())?;
        let (size, digest) = client::get_raw(&args.connect, &dest, timeout, *sha256, &bar).await?;
        let digest = digest.map_or(String::new(), |d| format!(", sha256 {}", hex(&d)));
        print_line(&format!(
            "received {}: {size} bytes{digest}",
            dest.display()
        ));
        eprintln!(
            "note: the raw protocol has no size and no digest: a cut transfer looks complete"
        );
        return Ok(());
    }

    let login = Login {
        addr: args.connect.clone(),
        user: args.user.clone(),
        password: password(&args)?,
        timeout,
        chunk,
    };
    match &args.command {
        Command::Ls => {
            let mut client = login.open().await?;
            for entry in client.list().await? {
                // The server's names, shown so that none can reach the
                // terminal as a control sequence or a line of its own.
                print_line(&format!(
                    "{:>12}  {}  {}",
                    entry.size,
                    format_time(entry.modified),
                    escape(&entry.name, MAX_NAME)
                ));
            }
        }
        Command::Get {
            name, dest, resume, ..
        } => {
            let dest = client::destination(name, dest.as_deref())?;
            let mut client = login.open().await?;
            let got = client.get(name, &dest, *resume, &bar).await?;
            let resumed = if got.resumed_from > 0 {
                format!(" (resumed at byte {})", got.resumed_from)
            } else {
                String::new()
            };
            print_line(&format!(
                "received {name} as {}: {} bytes, sha256 {}{resumed}",
                dest.display(),
                got.size,
                hex(&got.digest)
            ));
        }
        Command::Put { file, name, resume } => {
            let name = match name {
                Some(name) => name.clone(),
                None => default_name(file)?,
            };
            let mut client = login.open().await?;
            let sent = client.put(file, &name, *resume, &bar).await?;
            print_line(&put_line(file, &name, &sent));
        }
        Command::Exercise {
            wait,
            max_wait,
            remote,
            local,
        } => {
            let max_wait = Duration::try_from_secs_f64(*max_wait)
                .ok()
                .filter(|t| !t.is_zero())
                .context("--max-wait must be a positive number of seconds")?;
            let wait = wait.unwrap_or(if std::io::stdin().is_terminal() {
                Wait::Enter
            } else {
                Wait::Change
            });
            let settings = Exercise {
                remote: remote.clone(),
                local: local.clone(),
                wait,
                max_wait,
            };
            exercise::run(
                &login,
                &settings,
                &bar,
                print_line,
                |line| eprintln!("{line}"),
                enter_pressed(),
            )
            .await?;
        }
    }
    Ok(())
}

fn default_name(file: &Path) -> anyhow::Result<String> {
    file.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .with_context(|| {
            format!(
                "{} has no file name to use on the server; give NAME",
                file.display()
            )
        })
}

fn put_line(file: &Path, name: &str, sent: &client::Sent) -> String {
    let resumed = if sent.resumed_from > 0 {
        format!(" (resumed at byte {})", sent.resumed_from)
    } else {
        String::new()
    };
    let kept = sent
        .previous
        .as_ref()
        .map(|p| format!("; previous version kept as {}", escape(p, MAX_NAME)))
        .unwrap_or_default();
    format!(
        "stored {} as {name}: {} bytes, sha256 {}{resumed}{kept}",
        file.display(),
        sent.size,
        hex(&sent.digest)
    )
}

/// Completes when a line (or the end) arrives on standard input. Read on a
/// thread of its own: a blocking read of a terminal cannot be cancelled.
/// Nothing is read until the future is first polled, so lines typed
/// during the download do not count.
async fn enter_pressed() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = tx.send(());
    });
    let _ = rx.await;
}

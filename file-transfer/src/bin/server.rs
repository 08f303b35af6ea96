//! `file-transfer-server`: serve a directory to logged-in clients.
//!
//! A thin wrapper: parse flags, load the accounts, bind, print `listening
//! on <addr>`, and run the library's server until Ctrl-C or SIGTERM.

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use common::cli::{print_line, shutdown_on_signals, stdout_transcript};
use common::serve::LimitFlags;
use file_transfer::auth::{self, Accounts, Credentials};
use file_transfer::server::{self, DEFAULT_CHUNK, ServerConfig};
use file_transfer::store::Store;
use file_transfer::{DEFAULT_USER, PASSWORD_ENV, parse_size, prompt_password};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// File transfer server: serves the files of --root to logged-in clients
/// (list, download, upload with atomic replace and kept versions).
///
/// Accounts: --accounts FILE (see `add-user`), or one account named --user
/// whose password is in the FILE_TRANSFER_PASSWORD environment variable.
#[derive(Debug, Parser)]
#[command(
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::FILE_TRANSFER)]
    listen: String,
    /// The directory whose files are served and replaced.
    #[arg(long, value_name = "DIR", required_unless_present = "raw")]
    root: Option<PathBuf>,
    /// The accounts file (lines `user:scram-sha256:iterations:salt:stored-key:server-key`).
    #[arg(long, value_name = "FILE")]
    accounts: Option<PathBuf>,
    /// Without --accounts: the one account, whose password is in FILE_TRANSFER_PASSWORD.
    #[arg(long, default_value = DEFAULT_USER)]
    user: String,
    /// Without --accounts: PBKDF2 iterations for the one account (at least 4096).
    #[arg(long, default_value_t = auth::DEFAULT_ITERATIONS)]
    iterations: u32,
    /// Previous versions kept of each file (NAME.1 is the most recent); 0 keeps none.
    #[arg(
        long,
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(0..=i64::from(file_transfer::names::MAX_KEPT_VERSIONS))
    )]
    keep_versions: u32,
    /// Bytes of file content per data frame sent (up to 1MiB).
    #[arg(long, value_parser = parse_chunk, value_name = "SIZE")]
    chunk: Option<usize>,
    // --max-connections and --timeout, as in every server of the
    // workspace; here --timeout also bounds the whole login.
    #[command(flatten)]
    limits: LimitFlags,
    /// The largest upload accepted.
    #[arg(long, value_parser = parse_size, default_value = "1TiB", value_name = "SIZE")]
    max_size: u64,
    /// The slide's server instead: send FILE to every client, then close
    /// (no framing, no login: a plain copy, 256 KiB at a time).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["root", "accounts", "chunk"])]
    raw: Option<PathBuf>,
    /// Do not print the transcript (connections and transfers) on stdout.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add an account to an accounts file, or change its password. The
    /// password comes from FILE_TRANSFER_PASSWORD or is asked for.
    AddUser {
        /// The accounts file (created if missing).
        #[arg(long, value_name = "FILE")]
        accounts: PathBuf,
        /// PBKDF2 iterations (at least 4096).
        #[arg(long, default_value_t = auth::DEFAULT_ITERATIONS)]
        iterations: u32,
        /// The account name.
        user: String,
    },
}

fn parse_chunk(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    if n == 0 || n > file_transfer::wire::MAX_CHUNK as u64 {
        return Err("the chunk size must be from 1 byte to 1MiB".into());
    }
    usize::try_from(n).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    let args = Args::parse();
    let done = match args.command {
        Some(Command::AddUser {
            ref accounts,
            iterations,
            ref user,
        }) => add_user(accounts, iterations, user),
        None => serve(args).await,
    };
    common::cli::exit_code(done)
}

fn check_iterations(iterations: u32) -> anyhow::Result<()> {
    if !(auth::MIN_ITERATIONS..=auth::MAX_ITERATIONS).contains(&iterations) {
        bail!(
            "--iterations must be from {} to {}",
            auth::MIN_ITERATIONS,
            auth::MAX_ITERATIONS
        );
    }
    Ok(())
}

fn password_from_env() -> Option<String> {
    std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty())
}

fn add_user(path: &Path, iterations: u32, user: &str) -> anyhow::Result<()> {
    check_iterations(iterations)?;
    auth::check_user(user)?;
    let password = match password_from_env() {
        Some(p) => p,
        None => {
            let first = prompt_password(&format!("password for {user}: "))
                .with_context(|| format!("no password: set {PASSWORD_ENV} or run on a terminal"))?;
            let again = prompt_password("again: ").unwrap_or_default();
            if first != again {
                bail!("the two passwords differ");
            }
            first
        }
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let credentials = Credentials::new(&password, iterations).context("no randomness")?;
    let updated = Accounts::upsert_line(&text, user, &credentials);
    // Check the result parses before replacing the file, and replace it
    // atomically: a typo here must not lock everyone out, nor a crash.
    Accounts::parse(&updated, [0; 32])
        .with_context(|| format!("{} has an invalid line", path.display()))?;
    auth::write_accounts(path, &updated)
        .with_context(|| format!("cannot write {}", path.display()))?;
    print_line(&format!("account {user} saved in {}", path.display()));
    Ok(())
}

fn load_accounts(args: &Args) -> anyhow::Result<Accounts> {
    let secret = auth::random::<32>().context("no randomness")?;
    if let Some(path) = &args.accounts {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the accounts file {}", path.display()))?;
        let accounts = Accounts::parse(&text, secret)
            .with_context(|| format!("invalid accounts file {}", path.display()))?;
        if accounts.is_empty() {
            bail!("the accounts file {} has no account", path.display());
        }
        return Ok(accounts);
    }
    let Some(password) = password_from_env() else {
        bail!(
            "no accounts: give --accounts FILE (made with `file-transfer-server add-user`), \
             or set {PASSWORD_ENV} to the password of the account --user ({})",
            args.user
        );
    };
    auth::check_user(&args.user)?;
    check_iterations(args.iterations)?;
    let mut accounts = Accounts::new(secret);
    let credentials = Credentials::new(&password, args.iterations).context("no randomness")?;
    accounts.insert(&args.user, credentials);
    Ok(accounts)
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let limits = args.limits.limits();
    let transcript: Option<server::Transcript> = (!args.quiet).then(stdout_transcript);

    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = shutdown_on_signals()?;

    if let Some(file) = args.raw {
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
        let listener = bind(&args.listen).await?;
        print_line(&format!("listening on {}", listener.local_addr()?));
        server::run_raw(listener, file, &limits, transcript, shutdown).await?;
        return Ok(());
    }

    let accounts = load_accounts(&args)?;
    let Some(root) = args.root else {
        bail!("--root DIR is required");
    };
    let store = Store::open(&root, args.keep_versions, args.max_size)
        .with_context(|| format!("cannot serve {}", root.display()))?;
    let listener = bind(&args.listen).await?;
    print_line(&format!("listening on {}", listener.local_addr()?));
    let config = ServerConfig {
        accounts,
        chunk: args.chunk.unwrap_or(DEFAULT_CHUNK),
        limits,
        transcript,
    };
    server::run(listener, Arc::new(store), config, shutdown).await?;
    Ok(())
}

async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

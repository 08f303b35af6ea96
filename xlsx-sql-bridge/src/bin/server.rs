//! `xlsx-sql-bridge-server`: the upload front and the converter.
//!
//! A thin wrapper: parse flags, bind, print `listening on <front>` and
//! `converter listening on <converter>`, and run the library's services
//! until Ctrl-C or SIGTERM. Both services run by default, in one process,
//! and still talk to each other over HTTP; `--role` runs one of them.

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use common::serve::{HttpLimitFlags, parse_seconds};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;
use xlsx_sql_bridge::converter::{self, ConverterConfig};
use xlsx_sql_bridge::front::{self, FrontConfig};
use xlsx_sql_bridge::workbook::Limits;
use xlsx_sql_bridge::{DEFAULT_MAX_UPLOAD, REST_LOG};

/// Which service(s) this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Role {
    /// The front and the converter, talking HTTP to each other.
    Both,
    /// Only the upload front (the page and POST /upload).
    Front,
    /// Only the converter (its JSON API).
    Converter,
}

/// Spreadsheet to MySQL script: an upload front and a converter that talk
/// REST over HTTP.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Which service(s) to run.
    #[arg(long, value_enum, default_value_t = Role::Both)]
    role: Role,
    /// Address to listen on, HOST:PORT (port 0: any free port): the front's,
    /// or with --role converter the converter's.
    /// [default: 127.0.0.1:3000, with --role converter 127.0.0.1:5000]
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// With --role both: the converter's address. [default: 127.0.0.1:5000]
    #[arg(long, value_name = "HOST:PORT")]
    converter_listen: Option<String>,
    /// With --role front: where the converter is. [default: http://127.0.0.1:5000]
    #[arg(long, value_name = "URL")]
    converter_url: Option<String>,
    /// The largest workbook accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_UPLOAD, value_name = "BYTES")]
    max_upload: u64,
    /// Delete an upload that nobody converts after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    upload_ttl: u64,
    /// Keep uploads waiting for conversion in this directory
    /// [default: a fresh private temporary directory].
    #[arg(long, value_name = "DIR")]
    upload_dir: Option<PathBuf>,
    /// The most memory one conversion may need, in MiB, estimated before
    /// the workbook is expanded (shared strings, sheets read whole); a
    /// workbook that needs more is refused with 422.
    #[arg(long, default_value_t = 256, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    conversion_memory: u64,
    /// Seconds one conversion may take, from its start to the last byte of
    /// the script; then it is abandoned (422, or a script cut short).
    #[arg(long, default_value = "60", value_name = "SECS", value_parser = parse_seconds)]
    conversion_timeout: Duration,
    /// Conversions run at once (the others wait) [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    max_conversions: Option<u64>,
    /// Seconds a conversion waits for one of those to free; then 503 with
    /// Retry-After.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = parse_seconds)]
    queue_timeout: Duration,
    /// Seconds the front waits for the converter to start answering a call,
    /// and then between two pieces of the script; then 504.
    #[arg(long, default_value = "90", value_name = "SECS", value_parser = parse_seconds)]
    converter_timeout: Duration,
    /// Database hosts a client may ask the converter to load into (`into`:
    /// mysql:// or postgres:// URLs; `localhost` also allows Unix sockets),
    /// repeated or comma-separated [default: none, loading is off].
    #[arg(long, value_name = "HOST", value_delimiter = ',')]
    allow_into: Vec<String>,
    /// Connection limits, for the front and the converter alike.
    #[command(flatten)]
    connections: HttpLimitFlags,
}

#[tokio::main]
async fn main() -> ExitCode {
    // The REST calls between the services are the point of the exercise:
    // shown by default, with every other log line from warnings up.
    common::cli::init_logging(&format!("warn,{REST_LOG}=info"));
    // A panic's message can quote what a hostile workbook held (calamine's
    // panics are caught and answered 422, but this hook sees them first).
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(
            "internal error: {}",
            common::escape::escape(&info.to_string(), common::escape::SHOWN)
        )
    }));
    common::cli::exit_code(serve(Args::parse()).await)
}

async fn bind(addr: &str, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({what})"))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    match args.role {
        Role::Both if args.converter_url.is_some() => {
            bail!("--converter-url is for --role front; here the front uses its own converter")
        }
        Role::Front if args.converter_listen.is_some() => {
            bail!("--converter-listen is for --role both; a front alone takes --converter-url")
        }
        Role::Converter if args.converter_listen.is_some() || args.converter_url.is_some() => {
            bail!("with --role converter, --listen is the converter's address")
        }
        _ => {}
    }
    let connections = args.connections.limits();
    let converter_config = ConverterConfig {
        max_upload: args.max_upload,
        upload_dir: args.upload_dir.clone(),
        upload_ttl: Duration::from_secs(args.upload_ttl.max(1)),
        limits: Limits {
            max_memory: args.conversion_memory << 20,
            ..Limits::default()
        },
        conversion_timeout: args.conversion_timeout,
        queue_timeout: args.queue_timeout,
        max_conversions: args
            .max_conversions
            .map_or_else(converter::default_conversions, |n| n as usize),
        connections: connections.clone(),
        allow_into: args
            .allow_into
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect(),
        ..ConverterConfig::default()
    };
    let mut front_config = FrontConfig {
        max_upload: args.max_upload,
        upload_dir: args.upload_dir.clone(),
        converter_timeout: args.converter_timeout,
        connections,
        ..FrontConfig::default()
    };
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = common::cli::shutdown_on_signals()?;

    match args.role {
        Role::Both => {
            let front_addr = args.listen.as_deref().unwrap_or(common::addr::XLSX_FRONT);
            let converter_addr = args
                .converter_listen
                .as_deref()
                .unwrap_or(common::addr::XLSX_CONVERTER);
            let front_listener = bind(front_addr, "the front").await?;
            let converter_listener = bind(converter_addr, "the converter").await?;
            let converter_bound = converter_listener.local_addr()?;
            front_config.converter_url = format!("http://{converter_bound}");
            println!("listening on {}", front_listener.local_addr()?);
            println!("converter listening on {converter_bound}");
            tokio::try_join!(
                front::run(front_listener, front_config, shutdown.clone()),
                converter::run(converter_listener, converter_config, shutdown.clone()),
            )?;
        }
        Role::Front => {
            if let Some(url) = args.converter_url {
                front_config.converter_url = url;
            }
            let addr = args.listen.as_deref().unwrap_or(common::addr::XLSX_FRONT);
            let listener = bind(addr, "the front").await?;
            println!("listening on {}", listener.local_addr()?);
            front::run(listener, front_config, shutdown).await?;
        }
        Role::Converter => {
            let addr = args
                .listen
                .as_deref()
                .unwrap_or(common::addr::XLSX_CONVERTER);
            let listener = bind(addr, "the converter").await?;
            println!("listening on {}", listener.local_addr()?);
            converter::run(listener, converter_config, shutdown).await?;
        }
    }
    Ok(())
}

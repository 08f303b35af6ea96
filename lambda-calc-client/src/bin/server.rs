//! `lambda-calc-server`: the calculator API, locally or on AWS Lambda.
//!
//! A thin wrapper: parse flags, bind, print `listening on <addr>`, and serve
//! the library's router until Ctrl-C or SIGTERM. Built with `--features
//! lambda` and started by Lambda (`AWS_LAMBDA_RUNTIME_API` is set), it runs
//! the same router as a Lambda function instead.

use anyhow::Context as _;
use clap::Parser;
use common::cli::{print_line, shutdown_on_signals};
use common::serve::HttpLimitFlags;
use lambda_calc_client::server;
use std::process::ExitCode;

/// The course's REST calculator: GET /api/{op}/{a}/{b} with op one of soma,
/// sub, div, mult. Runs as an AWS Lambda function when Lambda starts it
/// (build with --features lambda).
///
/// Numbers (common::number): soma, sub and mult are exact, every digit
/// (/api/soma/1e28/0.1 is 10000000000000000000000000000.1); div is exact when
/// the quotient ends, else 34 significant digits, half to even. A value has at
/// most 100 significant digits and is 0 or between 1e-999 and 1e+1000 in
/// magnitude (1e308 is fine); beyond that, 400 naming the bound.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, HOST:PORT (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::LAMBDA_CALC)]
    listen: String,
    // Only the local server applies them: on Lambda, API Gateway is in
    // front and holds the connections.
    #[command(flatten)]
    limits: HttpLimitFlags,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    let args = Args::parse();
    let result = if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        on_lambda().await
    } else {
        serve(args).await
    };
    common::cli::exit_code(result)
}

#[cfg(feature = "lambda")]
async fn on_lambda() -> anyhow::Result<()> {
    tracing::info!("running as an AWS Lambda function");
    lambda_calc_client::lambda::run().await?;
    Ok(())
}

#[cfg(not(feature = "lambda"))]
async fn on_lambda() -> anyhow::Result<()> {
    anyhow::bail!(
        "AWS_LAMBDA_RUNTIME_API is set, but this build cannot run on Lambda: \
         build it with `--features lambda`"
    )
}

async fn serve(args: Args) -> anyhow::Result<()> {
    // Install the signal handlers before announcing `listening on`: a
    // signal that arrives between the two would otherwise kill the process
    // the default way, skipping the clean shutdown.
    let shutdown = shutdown_on_signals()?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_line(&format!("listening on {}", listener.local_addr()?));
    server::run(listener, &args.limits.limits(), shutdown).await?;
    Ok(())
}

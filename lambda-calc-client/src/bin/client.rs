//! `lambda-calc-client`: the client of the course's REST calculator.
//!
//! A thin wrapper: parse flags, then one calculation from the command line
//! (`lambda-calc-client mult 8 5`), the slide's dialogue on a terminal, or
//! one calculation per line from a pipe.

use clap::Parser;
use common::cli::{print_line, stdin_lines};
use lambda_calc_client::client::{Client, ClientConfig, default_url, read_ca_certs};
use lambda_calc_client::session::{self, Echo, Print, StdConsole};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Client of the course's REST calculator (GET {url}/{op}/{a}/{b}).
///
/// With OP A B: one calculation, its JSON on stdout. Without, on a
/// terminal: the slide's dialogue. Without, from a pipe: one `OP A B` per
/// line, one JSON result per line.
///
/// Numbers (common::number, as the server computes them): soma, sub and mult
/// are exact, every digit (soma 1e28 0.1 is 10000000000000000000000000000.1);
/// div is exact when the quotient ends, else 34 significant digits, half to
/// even. A value has at most 100 significant digits and is 0 or between
/// 1e-999 and 1e+1000 in magnitude (1e308 is fine); every mode refuses
/// anything else before sending, naming the bound. Results print as sent.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The calculation: OP (soma, sub, div, mult), then the two values.
    #[arg(num_args = 3, value_names = ["OP", "A", "B"], allow_negative_numbers = true)]
    calculation: Option<Vec<String>>,
    /// The API's base URL, up to the stage (the course's AWS endpoint is
    /// https://mrl0vy3w26.execute-api.sa-east-1.amazonaws.com/api).
    #[arg(long, env = "CALC_API_URL", default_value_t = default_url())]
    url: String,
    /// A PEM file of certificate authorities to trust for https:// besides
    /// the web PKI's roots (a private API's own authority).
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Print only the number, not the JSON (nor, in the dialogue, the dict).
    #[arg(long)]
    value: bool,
    /// The slide's dialogue even when standard input is not a terminal; the
    /// answers read are then echoed after their prompts, so the output reads
    /// as the slide's run.
    #[arg(long)]
    interactive: bool,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = ClientConfig::default().timeout.as_secs_f64(), value_name = "SECS")]
    timeout: f64,
    /// How many times to ask again after a connection error or a 5xx.
    #[arg(long, default_value_t = ClientConfig::default().retries, value_name = "N")]
    retries: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    match run(Args::parse()).await {
        // A pipe with bad lines has said which, one `error: line N` each.
        Ok(code) => {
            common::cli::flush_queues(common::cli::FLUSH_AT_EXIT);
            code
        }
        Err(e) => common::cli::exit_code(Err(e)),
    }
}

async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| anyhow::anyhow!("--timeout must be a positive number of seconds"))?;
    let extra_roots = match &args.ca_cert {
        Some(path) => read_ca_certs(path)?,
        None => Vec::new(),
    };
    let config = ClientConfig {
        base_url: args.url,
        timeout,
        retries: args.retries,
        extra_roots,
        ..ClientConfig::default()
    };
    let client = Client::new(config)?.on_retry(Box::new(|notice| eprintln!("{notice}")));
    // For pipes, the JSON as sent; in the dialogue, the dict as the
    // slide's Python program prints it.
    let print = |otherwise| if args.value { Print::Value } else { otherwise };

    if let Some([op, a, b]) = args.calculation.as_deref() {
        let reply = client.calculate(op, a, b).await?;
        print_line(&print(Print::Body).of(&reply));
        return Ok(ExitCode::SUCCESS);
    }
    let mut input = stdin_lines();
    let mut console = StdConsole;
    let terminal = std::io::stdin().is_terminal();
    if args.interactive || terminal {
        let echo = if terminal {
            Echo::Terminal
        } else {
            Echo::Answers
        };
        session::interactive(&client, &mut input, &mut console, print(Print::Dict), echo).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let failed = session::lines(&client, &mut input, &mut console, print(Print::Body)).await?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

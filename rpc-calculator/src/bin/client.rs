//! `rpc-calculator-client`: the calculator's client.
//!
//! ```text
//! rpc-calculator-client 15 10          # the five results, labelled
//! rpc-calculator-client add 15 10      # one call: 25
//! rpc-calculator-client                # asks for the numbers, like the slide
//! printf '15 10\n3 4\n' | rpc-calculator-client   # one pair per line
//! rpc-calculator-client --async 15 10  # five calls at once on one WebSocket
//! ```
//!
//! A thin wrapper: parse flags and numbers, connect, and print each result
//! on stdout; prompts and errors go to stderr.

use anyhow::{Context as _, bail};
use clap::Parser;
use common::cli::{print_line, stdin_lines};
use common::number::{Number, Operation};
use rpc_calculator::api::operation;
use rpc_calculator::client::{Client, Transport, result_line};
use rpc_calculator::input::{Pairs, Source, number};
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

/// Calculator client: calls add, sub, mul, pow and div on the server and
/// prints the results, labelled as the exercise's console (Somar, Subtrair,
/// Multiplicar, Potência, Dividir).
#[derive(Debug, Parser)]
#[command(version, after_help = rpc_calculator::NUMBERS_HELP)]
struct Args {
    /// `A B`: the five results; `METHOD A B`: one call (add, sub, mul, pow,
    /// div or calculate); nothing: read pairs from stdin, one pair per line
    /// (on a terminal: one number per prompt, as the slide).
    #[arg(value_name = "ARGS", num_args = 0..=3, allow_negative_numbers = true)]
    args: Vec<String>,
    /// Server address, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = common::addr::RPC_CALCULATOR)]
    connect: String,
    /// JSON-RPC over HTTP or WebSocket, or XML-RPC (the slide's protocol)
    /// [default: http, or ws with --async].
    #[arg(long, value_enum)]
    transport: Option<Transport>,
    /// Send the five calls at once on one WebSocket and print each result as
    /// it arrives (asynchronous request-reply), instead of one after the other.
    #[arg(long = "async")]
    concurrent: bool,
    /// Seconds to wait for each reply (and for the connection).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
}

/// What the command line asks for.
enum Plan {
    /// The five results for one pair.
    Five(Number, Number),
    /// One procedure.
    One(Option<Operation>, Number, Number),
    /// Pairs from stdin.
    Stdin,
}

#[tokio::main]
async fn main() -> ExitCode {
    common::cli::init_logging("warn");
    match run(Args::parse()).await {
        // Some input was refused, and each refusal already said why.
        Ok(false) => {
            common::cli::flush_queues(common::cli::FLUSH_AT_EXIT);
            ExitCode::FAILURE
        }
        Ok(true) => common::cli::exit_code(Ok::<(), anyhow::Error>(())),
        Err(e) => common::cli::exit_code(Err(e)),
    }
}

fn plan(args: &[String]) -> anyhow::Result<Plan> {
    Ok(match args {
        [] => Plan::Stdin,
        [a, b] => Plan::Five(number(a)?, number(b)?),
        [method, a, b] => {
            let op = match method.as_str() {
                "calculate" => None,
                name => Some(operation(name).with_context(|| {
                    format!("unknown method {name:?}: use add, sub, mul, pow, div or calculate")
                })?),
            };
            Plan::One(op, number(a)?, number(b)?)
        }
        _ => bail!("give two numbers (A B), a method and two numbers (METHOD A B), or nothing"),
    })
}

/// Ok(true): all went well; Ok(false): some input was refused (already said).
async fn run(args: Args) -> anyhow::Result<bool> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    let transport = match (args.transport, args.concurrent) {
        (None, false) => Transport::Http,
        (None, true) | (Some(Transport::Ws), _) => Transport::Ws,
        (Some(t), false) => t,
        (Some(_), true) => {
            bail!("--async sends the calls at once over one WebSocket: use it with --transport ws")
        }
    };
    let plan = plan(&args.args)?;
    let client = Client::connect(transport, &args.connect, timeout).await?;
    let five = |a: Number, b: Number| {
        let client = &client;
        async move {
            if args.concurrent {
                client
                    .all_at_once(&a, &b, |r| print_line(&result_line(&r)))
                    .await
            } else {
                client
                    .one_by_one(&a, &b, |r| print_line(&result_line(&r)))
                    .await
            }
        }
    };
    match plan {
        Plan::Five(a, b) => five(a, b).await?,
        Plan::One(Some(op), a, b) => print_line(&client.call(op, &a, &b).await?.to_string()),
        Plan::One(None, a, b) => {
            for result in client.calculate(&a, &b).await? {
                print_line(&result_line(&result));
            }
        }
        Plan::Stdin => {
            let interactive = std::io::stdin().is_terminal();
            let mut lines = stdin_lines();
            let mut pairs = Pairs::new(if interactive {
                Source::Prompts
            } else {
                Source::Lines
            });
            let mut all_good = true;
            loop {
                if interactive {
                    eprint!("{}", pairs.prompt());
                    let _ = std::io::stderr().flush();
                }
                let Some(line) = lines.recv().await else {
                    break;
                };
                match pairs.feed(&line) {
                    Some(Ok((a, b))) => five(a, b).await?,
                    Some(Err(e)) => {
                        eprintln!("error: {e}");
                        all_good = false;
                    }
                    None => {}
                }
            }
            if interactive {
                eprintln!();
            }
            if let Err(e) = pairs.finish() {
                eprintln!("error: {e}");
                all_good = false;
            }
            return Ok(all_good);
        }
    }
    Ok(true)
}

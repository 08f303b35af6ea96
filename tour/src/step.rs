//! Running tour steps: programs, transcripts, and the summary table.

use common::testing::{Launcher, Program};
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One line of the summary.
struct Outcome {
    exercise: &'static str,
    step: &'static str,
    result: Result<(), String>,
    took: Duration,
}

/// The tour's state: where the binaries are, what happened so far.
pub struct Tour {
    bin_dir: PathBuf,
    outcomes: Vec<Outcome>,
}

impl Tour {
    pub fn new(bin_dir: PathBuf) -> Self {
        // The helpers of `common::testing` report a failure by panicking; the
        // tour catches it and records the message, so silence the default
        // hook that would print a backtrace in the middle of the transcript.
        panic::set_hook(Box::new(|_| {}));
        Self {
            bin_dir,
            outcomes: Vec::new(),
        }
    }

    /// A launcher for one of the workspace's binaries.
    pub fn bin(&self, name: &str) -> Launcher {
        Launcher::fixed(self.bin_path(name))
    }

    /// The path of one of the workspace's binaries.
    pub fn bin_path(&self, name: &str) -> PathBuf {
        // `name.exe` on Windows.
        self.bin_dir
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    /// Run one step: print its title, run it, record how it went.
    pub fn step(
        &mut self,
        exercise: &'static str,
        step: &'static str,
        run: impl FnOnce(&Tour) -> anyhow::Result<()>,
    ) {
        println!("\n== {exercise}: {step} ==");
        let start = Instant::now();
        let result = match panic::catch_unwind(AssertUnwindSafe(|| run(self))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(common::cli::one_line(e.as_ref())),
            Err(panic) => Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "the step panicked".to_owned())),
        };
        if let Err(e) = &result {
            println!("!! FAILED: {e}");
        }
        self.outcomes.push(Outcome {
            exercise,
            step,
            result,
            took: start.elapsed(),
        });
    }

    /// Print the summary table; true if every step passed.
    pub fn summary(&self) -> bool {
        let width = |f: fn(&Outcome) -> usize, title: &str| {
            self.outcomes
                .iter()
                .map(f)
                .max()
                .unwrap_or(0)
                .max(title.len())
        };
        let ew = width(|o| o.exercise.len(), "exercise");
        let sw = width(|o| o.step.len(), "step");
        println!("\n== summary ==");
        println!("{:<ew$}  {:<sw$}  result  time", "exercise", "step");
        for o in &self.outcomes {
            let result = if o.result.is_ok() { "ok" } else { "FAILED" };
            println!(
                "{:<ew$}  {:<sw$}  {result:<6}  {:.2} s",
                o.exercise,
                o.step,
                o.took.as_secs_f64()
            );
        }
        let failed = self.outcomes.iter().filter(|o| o.result.is_err()).count();
        println!(
            "{} steps, {} passed, {failed} failed",
            self.outcomes.len(),
            self.outcomes.len() - failed
        );
        let _ = std::io::stdout().flush();
        failed == 0
    }
}

/// Print a command line as the user would type it.
pub fn command(line: &str) {
    println!("$ {line}");
}

/// Print lines under a label: `server | Eco=>Olá`.
pub fn show(label: &str, lines: &[String]) {
    for line in lines {
        println!("{label:>6} | {line}");
    }
}

/// Stop a server with Ctrl-C and print everything it said.
pub fn stop_and_show(server: Program) -> anyhow::Result<()> {
    server.interrupt();
    let done = server.finish();
    let mut all = done.consumed;
    all.extend(done.stdout);
    show("server", &all);
    anyhow::ensure!(
        done.status.success(),
        "the server exited with {}: {}",
        done.status,
        done.stderr.trim()
    );
    Ok(())
}

//! `grade`: run an exercise's black-box tests against a student's programs
//! and report points. See the crate README.

use anyhow::{Context, Result, bail};
use clap::Parser;
use grade::exercise::{EXERCISES, Exercise};
use grade::points::Points;
use grade::report::{ClassRow, class_csv, class_table, number};
use grade::submission::{self, Commands, SUBMISSION_FILE};
use grade::{Settings, build};
use std::path::PathBuf;
use std::time::Duration;

/// Grade a student's programs with an exercise's black-box tests: one row
/// per protocol point, the score, and files for an LMS.
#[derive(Parser, Debug)]
#[command(
    name = "grade",
    after_help = "Examples:\n  grade websocket-adder --server \"python3 aluno/server.py\"\n  grade rpc-calculator --client \"python3 aluno/cliente.py\"\n  grade file-transfer --server \"…\" --client \"…\" --json results.json --junit report.xml\n  grade socket-chat --class entregas/ --csv notas.csv\n  grade websocket-adder --list\n\nWithout --server, --client or --class, grade grades our own programs (full marks expected).\nA test counts for a submission only if it runs one of the submission's programs; a skipped\ntest (a tool it needs is missing here) is listed apart and never counted."
)]
struct Args {
    /// The exercise whose tests grade.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(EXERCISES.map(|e| e.package)))]
    exercise: String,
    /// The command that runs the submission's server (as run from the current directory).
    #[arg(long, value_name = "COMMAND", conflicts_with = "class")]
    server: Option<String>,
    /// The command that runs the submission's client.
    #[arg(long, value_name = "COMMAND", conflicts_with = "class")]
    client: Option<String>,
    /// Grade every subdirectory of DIR as one submission (each with a submission.toml naming its commands).
    #[arg(long, value_name = "DIR")]
    class: Option<PathBuf>,
    /// The submission's directory: graded in a temporary copy of it, the commands run from the copy (as written from DIR).
    #[arg(long, value_name = "DIR", conflicts_with = "class")]
    dir: Option<PathBuf>,
    /// With --class: write the class's scores as CSV.
    #[arg(long, value_name = "FILE", requires = "class")]
    csv: Option<PathBuf>,
    /// Write Gradescope's results.json.
    #[arg(long, value_name = "FILE", conflicts_with = "class")]
    json: Option<PathBuf>,
    /// Write JUnit XML.
    #[arg(long, value_name = "FILE", conflicts_with = "class")]
    junit: Option<PathBuf>,
    /// What each test is worth (TOML: test name = points); one point each otherwise.
    #[arg(long, value_name = "FILE")]
    points: Option<PathBuf>,
    /// Print the tests with their points (the rubric) and run nothing.
    #[arg(long)]
    list: bool,
    /// Each test's time limit, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
    /// Tests run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Only these test targets (files under tests/), repeatable.
    #[arg(long, value_name = "TARGET")]
    only: Vec<String>,
}

fn main() -> std::process::ExitCode {
    common::cli::exit_code(run(Args::parse()))
}

fn run(args: Args) -> Result<()> {
    let exercise = Exercise::named(&args.exercise).context("unknown exercise")?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let points = match &args.points {
        Some(path) => Points::read(path)?,
        None => Points::one_each(),
    };
    let mut targets = build::build(exercise.package)?;
    if !args.only.is_empty() {
        let known: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        for wanted in &args.only {
            if !known.contains(wanted) {
                bail!(
                    "{} has no test target {wanted:?} (it has {})",
                    exercise.package,
                    known.join(", ")
                );
            }
        }
        targets.retain(|t| args.only.contains(&t.name));
    }
    let all: Vec<(String, String)> = targets
        .iter()
        .flat_map(|t| t.tests.iter().map(|n| (t.name.clone(), n.clone())))
        .collect();
    let unknown = points.unknown(&all);
    if !unknown.is_empty() {
        bail!(
            "the points file names tests that do not exist: {}",
            unknown.join(", ")
        );
    }
    if args.list {
        let width = all.iter().map(|(t, _)| t.len()).max().unwrap_or(6).max(6);
        common::cli::print_line(&format!(
            "{:>6}  {:<width$}  test (name for --points)",
            "points", "target"
        ));
        for (target, test) in &all {
            common::cli::print_line(&format!(
                "{:>6}  {target:<width$}  {} ({test})",
                number(points.of(target, test)),
                grade::sentence::of(test)
            ));
        }
        let total: f64 = all
            .iter()
            .map(|(t, n)| points.of(t, n))
            .fold(0.0, |a, b| a + b);
        common::cli::print_line(&format!("{} tests, {} points", all.len(), number(total)));
        return Ok(());
    }
    let settings = Settings {
        limit: Duration::from_secs_f64(args.timeout),
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        points,
    };
    eprintln!(
        "grading {} with {} tests, {} at a time, {} s each at most",
        exercise.package,
        all.len(),
        settings.jobs,
        args.timeout
    );
    match &args.class {
        Some(dir) => grade_class(&exercise, &targets, dir, &settings, args.csv.as_deref()),
        None => {
            let here = std::env::current_dir().context("cannot read the current directory")?;
            let mut commands = Commands::default();
            for (name, command) in [("server", &args.server), ("client", &args.client)] {
                if let Some(command) = command {
                    let role = exercise.roles.iter().find(|r| r.name == name).copied();
                    let role = role.context("unknown role")?;
                    commands
                        .by_role
                        .push((role, submission::absolute(command, &here)));
                }
            }
            let scratch = tempfile::Builder::new()
                .prefix("grade-")
                .tempdir()
                .context("cannot create a scratch directory")?;
            let report = grade::grade(&exercise, &targets, &commands, scratch.path(), &settings);
            common::cli::print_line(report.table().trim_end());
            if let Some(path) = &args.json {
                let json = serde_json::to_string_pretty(&report.gradescope())?;
                std::fs::write(path, json + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if let Some(path) = &args.junit {
                std::fs::write(path, report.junit())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(())
        }
    }
}

fn grade_class(
    exercise: &Exercise,
    targets: &[build::Target],
    dir: &std::path::Path,
    settings: &Settings,
    csv: Option<&std::path::Path>,
) -> Result<()> {
    let mut rows = Vec::new();
    for student_dir in submission::class(dir)? {
        let student = student_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = grade_one(exercise, targets, &student_dir, settings);
        match &result {
            Ok(report) => common::cli::print_line(report.table().trim_end()),
            Err(why) => common::cli::print_line(&format!("{student}: not graded: {why}")),
        }
        common::cli::print_line("");
        rows.push(ClassRow { student, result });
    }
    common::cli::print_line(class_table(&rows).trim_end());
    if let Some(path) = csv {
        std::fs::write(path, class_csv(&rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// One student of a class, in a temporary copy of their directory.
fn grade_one(
    exercise: &Exercise,
    targets: &[build::Target],
    student_dir: &std::path::Path,
    settings: &Settings,
) -> Result<grade::report::Report, String> {
    let scratch = tempfile::Builder::new()
        .prefix("grade-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let copy = scratch.path().join("submission");
    submission::copy_dir(student_dir, &copy).map_err(|e| format!("cannot copy it: {e}"))?;
    let text = std::fs::read_to_string(copy.join(SUBMISSION_FILE))
        .map_err(|e| format!("cannot read {SUBMISSION_FILE}: {e}"))?;
    let commands = submission::parse_toml(&text, exercise, &copy).map_err(|e| format!("{e:#}"))?;
    Ok(grade::grade(exercise, targets, &commands, &copy, settings))
}

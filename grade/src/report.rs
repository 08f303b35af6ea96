//! What the teacher reads, and what an LMS reads: the table, the score,
//! Gradescope's `results.json`, JUnit XML, and a class's CSV.

use crate::run::{Outcome, Status};
use serde_json::json;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

/// One test of the exercise, graded.
#[derive(Debug, Clone)]
pub struct Row {
    /// The test target (the file under `tests/`).
    pub target: String,
    /// The test function's name.
    pub test: String,
    /// What it is worth.
    pub points: f64,
    /// What happened.
    pub outcome: Outcome,
    /// True if it ran one of the graded programs (or was skipped, and then
    /// is listed apart): only those rows make the score.
    pub counted: bool,
}

impl Row {
    /// The test's name as a sentence.
    pub fn sentence(&self) -> String {
        crate::sentence::of(&self.test)
    }
}

/// One submission's grading.
#[derive(Debug, Clone)]
pub struct Report {
    /// The exercise graded.
    pub exercise: String,
    /// What replaced which program (`server: python3 …`), for the header.
    pub graded: Vec<String>,
    /// Every test, in target then listing order.
    pub rows: Vec<Row>,
    /// How long the grading took.
    pub duration: Duration,
}

/// Points earned and possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Earned: the points of the tests that passed.
    pub earned: f64,
    /// Possible: the points of the tests that ran (passed, failed or timed
    /// out) and ran a graded program.
    pub possible: f64,
    /// The points of skipped tests, never counted as earned or possible.
    pub skipped: f64,
}

impl Report {
    /// The rows that make the score.
    pub fn scored(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| r.counted && r.outcome.status != Status::Skipped)
    }

    /// The skipped rows.
    pub fn skipped(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| r.outcome.status == Status::Skipped)
    }

    /// The rows that ran none of the graded programs (our own programs
    /// tested against each other: nothing about this submission).
    pub fn not_counted(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| !r.counted && r.outcome.status != Status::Skipped)
    }

    /// The score.
    pub fn score(&self) -> Score {
        let earned = self
            .scored()
            .filter(|r| r.outcome.status == Status::Pass)
            .map(|r| r.points)
            .fold(0.0, |a, b| a + b);
        // From 0.0, not `sum()`'s -0.0: no test is "-0 points".
        let possible = self.scored().map(|r| r.points).fold(0.0, |a, b| a + b);
        let skipped = self.skipped().map(|r| r.points).fold(0.0, |a, b| a + b);
        Score {
            earned,
            possible,
            skipped,
        }
    }

    /// The tests that lost points, as sentences.
    pub fn failed(&self) -> Vec<String> {
        self.scored()
            .filter(|r| r.outcome.status != Status::Pass)
            .map(Row::sentence)
            .collect()
    }

    /// The table a teacher reads: one row per test, a reason under each
    /// failure, then the score.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "grade {}", self.exercise);
        for line in &self.graded {
            let _ = writeln!(out, "  {line}");
        }
        let shown: Vec<&Row> = self.scored().chain(self.skipped()).collect();
        let width = shown
            .iter()
            .map(|r| r.target.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<7}  {:<width$}  {:>6}  test",
            "status", "target", "points"
        );
        for row in &shown {
            let status = row.outcome.status;
            let points = match status {
                Status::Pass => format!("{}/{}", number(row.points), number(row.points)),
                Status::Skipped => "-".to_owned(),
                _ => format!("0/{}", number(row.points)),
            };
            let _ = writeln!(
                out,
                "{:<7}  {:<width$}  {:>6}  {}",
                status.label(),
                row.target,
                points,
                row.sentence()
            );
            if status != Status::Pass {
                for line in &row.outcome.reason {
                    let _ = writeln!(out, "{:<7}  {:<width$}  {:>6}    {line}", "", "", "");
                }
            }
        }
        let score = self.score();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "score: {} / {} points ({})",
            number(score.earned),
            number(score.possible),
            percent(score.earned, score.possible)
        );
        let skipped: Vec<&Row> = self.skipped().collect();
        if !skipped.is_empty() {
            let _ = writeln!(
                out,
                "skipped, not counted: {} points in {} tests (a tool they need is missing here)",
                number(score.skipped),
                skipped.len()
            );
        }
        let not_counted = self.not_counted().count();
        if not_counted > 0 {
            let _ = writeln!(
                out,
                "not about this submission: {not_counted} tests ran none of its programs"
            );
        }
        let _ = writeln!(out, "graded in {:.1} s", self.duration.as_secs_f64());
        out
    }

    /// Gradescope's `results.json`.
    pub fn gradescope(&self) -> serde_json::Value {
        let score = self.score();
        let mut tests = Vec::new();
        for row in self.scored() {
            let passed = row.outcome.status == Status::Pass;
            tests.push(json!({
                "name": row.sentence(),
                "number": format!("{}::{}", row.target, row.test),
                "score": if passed { row.points } else { 0.0 },
                "max_score": row.points,
                "status": if passed { "passed" } else { "failed" },
                "output": row.outcome.reason.join("\n"),
                "visibility": "visible",
            }));
        }
        for row in self.skipped() {
            // Worth nothing here: Gradescope adds max_score to the total,
            // and a missing tool must not cost or earn the student points.
            tests.push(json!({
                "name": format!("{} (skipped, not counted)", row.sentence()),
                "number": format!("{}::{}", row.target, row.test),
                "score": 0.0,
                "max_score": 0.0,
                "output": row.outcome.reason.join("\n"),
                "visibility": "visible",
            }));
        }
        json!({
            "score": score.earned,
            "max_score": score.possible,
            "execution_time": self.duration.as_secs_f64().round() as u64,
            "output": format!(
                "{}: {} / {} points",
                self.exercise,
                number(score.earned),
                number(score.possible)
            ),
            "tests": tests,
        })
    }

    /// JUnit XML, as GitLab, GitHub and Jenkins read it: one `testsuite`
    /// per target, a `failure` or `skipped` element where due.
    pub fn junit(&self) -> String {
        let rows: Vec<&Row> = self.scored().chain(self.skipped()).collect();
        let targets: BTreeSet<&str> = rows.iter().map(|r| r.target.as_str()).collect();
        let count = |rows: &[&Row], status: Status| {
            rows.iter().filter(|r| r.outcome.status == status).count()
        };
        let failures = |rows: &[&Row]| count(rows, Status::Fail) + count(rows, Status::Timeout);
        let seconds =
            |rows: &[&Row]| -> f64 { rows.iter().map(|r| r.outcome.duration.as_secs_f64()).sum() };
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"grade {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
            xml(&self.exercise),
            rows.len(),
            failures(&rows),
            count(&rows, Status::Skipped),
            self.duration.as_secs_f64()
        );
        for target in targets {
            let suite: Vec<&Row> = rows
                .iter()
                .copied()
                .filter(|r| r.target == target)
                .collect();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
                xml(target),
                suite.len(),
                failures(&suite),
                count(&suite, Status::Skipped),
                seconds(&suite)
            );
            for row in suite {
                let _ = write!(
                    out,
                    "    <testcase name=\"{}\" classname=\"{}.{}\" time=\"{:.3}\"",
                    xml(&row.sentence()),
                    xml(&self.exercise),
                    xml(&row.target),
                    row.outcome.duration.as_secs_f64()
                );
                let reason = row.outcome.reason.join("\n");
                let first = row.outcome.reason.first().map(String::as_str).unwrap_or("");
                match row.outcome.status {
                    Status::Pass => out.push_str("/>\n"),
                    Status::Skipped => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(first)
                        );
                    }
                    status => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                            xml(first),
                            status.label(),
                            xml(&reason)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// A number of points: `3`, `2.5`.
pub fn number(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        format!("{points}")
    }
}

fn percent(earned: f64, possible: f64) -> String {
    if possible > 0.0 {
        format!("{:.1}%", 100.0 * earned / possible)
    } else {
        "no test ran a graded program".to_owned()
    }
}

/// Text for an XML attribute or element. The reasons are already escaped
/// by `common::escape`, so no control character is left for XML to refuse.
fn xml(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// One submission of a class, graded or not.
pub struct ClassRow {
    /// The submission's directory name.
    pub student: String,
    /// Its report, or why it could not be graded.
    pub result: Result<Report, String>,
}

/// The class's summary table.
pub fn class_table(rows: &[ClassRow]) -> String {
    let width = rows
        .iter()
        .map(|r| r.student.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = format!("{:<width$}  {:>13}  failed points\n", "student", "score");
    for row in rows {
        let (score, failed) = match &row.result {
            Ok(report) => {
                let s = report.score();
                (
                    format!("{}/{}", number(s.earned), number(s.possible)),
                    report.failed().join("; "),
                )
            }
            Err(why) => ("not graded".to_owned(), why.clone()),
        };
        let _ = writeln!(out, "{:<width$}  {score:>13}  {failed}", row.student);
    }
    out
}

/// The class as CSV: `student,score,possible,skipped,failed`.
pub fn class_csv(rows: &[ClassRow]) -> String {
    let mut out = String::from("student,score,possible,skipped,failed\n");
    for row in rows {
        let fields = match &row.result {
            Ok(report) => {
                let s = report.score();
                [
                    row.student.clone(),
                    number(s.earned),
                    number(s.possible),
                    number(s.skipped),
                    report.failed().join("; "),
                ]
            }
            Err(why) => [
                row.student.clone(),
                String::new(),
                String::new(),
                String::new(),
                format!("not graded: {why}"),
            ],
        };
        let line: Vec<String> = fields.iter().map(|f| csv(f)).collect();
        let _ = writeln!(out, "{}", line.join(","));
    }
    out
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str, test: &str, status: Status, counted: bool) -> Row {
        Row {
            target: target.into(),
            test: test.into(),
            points: 1.0,
            outcome: Outcome {
                status,
                reason: if status == Status::Pass {
                    vec![]
                } else {
                    vec!["why <it> failed".into()]
                },
                uses: Default::default(),
                duration: Duration::from_millis(10),
            },
            counted,
        }
    }

    fn report() -> Report {
        Report {
            exercise: "websocket-adder".into(),
            graded: vec!["server: python3 server.py".into()],
            rows: vec![
                row("adder", "sums_are_exact", Status::Pass, true),
                row(
                    "adder",
                    "a_json_request_gets_a_json_sum",
                    Status::Fail,
                    true,
                ),
                row("browser", "the_page_adds", Status::Skipped, true),
                row("client", "the_client_prints", Status::Pass, false),
                row("robustness", "hangs", Status::Timeout, true),
            ],
            duration: Duration::from_secs(3),
        }
    }

    #[test]
    fn skipped_and_uncounted_tests_make_no_points() {
        assert_eq!(
            report().score(),
            Score {
                earned: 1.0,
                possible: 3.0,
                skipped: 1.0
            }
        );
        assert_eq!(
            report().failed(),
            ["a JSON request gets a JSON sum", "hangs"]
        );
    }

    #[test]
    fn the_class_csv_quotes_what_needs_quoting() {
        let rows = [
            ClassRow {
                student: "ana".into(),
                result: Ok(report()),
            },
            ClassRow {
                student: "bia, b".into(),
                result: Err("no submission.toml".into()),
            },
        ];
        assert_eq!(
            class_csv(&rows),
            "student,score,possible,skipped,failed\nana,1,3,1,a JSON request gets a JSON sum; hangs\n\"bia, b\",,,,not graded: no submission.toml\n"
        );
    }
}

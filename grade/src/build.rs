//! Build an exercise's integration tests once, and list the tests in them.
//!
//! `cargo test -p <exercise> --all-features --no-run --message-format=json`
//! builds the exercise's test targets (once: a class reuses them) and
//! describes each artifact as a JSON line; the integration tests are the
//! exercise's artifacts of `kind` `test` (the library's and binaries' unit
//! tests are white-box, not a protocol a student's program can be held to). Each test binary then lists its tests with `--list`,
//! libtest's stable listing: `name: test` lines.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One integration test target, built.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its name: the file name under `tests/` (`adder`, `robustness`).
    pub name: String,
    /// The test binary.
    pub executable: PathBuf,
    /// Its tests, in the order the binary lists them.
    pub tests: Vec<String>,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<ArtifactTarget>,
    profile: Option<Profile>,
    executable: Option<PathBuf>,
    manifest_path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Profile {
    test: bool,
}

/// The workspace this grader belongs to (its manifest's parent directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The `cargo` to build with: the one that runs us, if any.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Build `package`'s integration tests and list them. Cargo's progress goes
/// to our stderr; a build failure is an error with cargo's last lines.
pub fn build(package: &str) -> Result<Vec<Target>> {
    let output = Command::new(cargo())
        .args(["test", "-p", package, "--all-features", "--no-run"])
        .args(["--message-format=json-render-diagnostics"])
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!("cargo could not build the tests (its messages are above)");
    }
    let manifest = workspace_root().join(package).join("Cargo.toml");
    let mut targets = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        let (Some(target), Some(profile), Some(executable)) =
            (message.target, message.profile, message.executable)
        else {
            continue;
        };
        if message.reason == "compiler-artifact"
            && message.manifest_path.as_deref() == Some(manifest.as_path())
            && profile.test
            && target.kind.iter().any(|k| k == "test")
        {
            let tests = list(&executable)?;
            targets.push(Target {
                name: target.name,
                executable,
                tests,
            });
        }
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(targets)
}

/// The tests a test binary holds.
fn list(executable: &Path) -> Result<Vec<String>> {
    let output = Command::new(executable)
        .arg("--list")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", executable.display()))?;
    if !output.status.success() {
        bail!("{} --list failed", executable.display());
    }
    Ok(parse_list(&String::from_utf8_lossy(&output.stdout)))
}

/// The test names of libtest's `--list` output.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_gives_the_test_names_only() {
        let listing =
            "adds: test\nmodule::nested_name: test\nbench_it: benchmark\n\n2 tests, 1 benchmark\n";
        assert_eq!(parse_list(listing), ["adds", "module::nested_name"]);
    }
}

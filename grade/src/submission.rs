//! A submission: the commands that replace the exercise's programs, and
//! where they run.
//!
//! A command is written as its author runs it from their own directory
//! (`python3 server.py`). The tests start it from a scratch directory of the
//! grader's (or from one of their own, for a client that saves files), so
//! every word of the command that names a file of the submission is made
//! absolute first: `python3 /tmp/grade-x/ana/server.py`.
//!
//! A class is a directory with one subdirectory per student, each holding
//! `submission.toml`:
//!
//! ```toml
//! server = "python3 server.py"
//! client = "python3 cliente.py"
//! ```
//!
//! Each is graded in a temporary copy of its directory, so nothing it writes
//! lands anywhere else.

use crate::exercise::{Exercise, Role};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The file of a class submission that names its commands.
pub const SUBMISSION_FILE: &str = "submission.toml";

/// The commands of a submission, by role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commands {
    /// `(role, command)` pairs, commands already made absolute.
    pub by_role: Vec<(Role, String)>,
}

impl Commands {
    /// The environment the tests read.
    pub fn env(&self) -> Vec<(String, String)> {
        self.by_role
            .iter()
            .map(|(role, command)| (role.env_var.to_owned(), command.clone()))
            .collect()
    }

    /// `server: python3 …` lines, for the report's header.
    pub fn describe(&self) -> Vec<String> {
        self.by_role
            .iter()
            .map(|(role, command)| format!("{}: {command}", role.name))
            .collect()
    }

    /// The environment variables of the graded programs: those given, or
    /// every one of the exercise's when none is (grading our own).
    pub fn graded_vars(&self, exercise: &Exercise) -> Vec<&'static str> {
        if self.by_role.is_empty() {
            exercise.roles.iter().map(|r| r.env_var).collect()
        } else {
            self.by_role.iter().map(|(r, _)| r.env_var).collect()
        }
    }
}

/// `command` with every word that names an existing path under `base` made
/// absolute (and quoted for the shell if it must be).
pub fn absolute(command: &str, base: &Path) -> String {
    command
        .split_whitespace()
        .map(|word| {
            let path = base.join(word);
            if !word.starts_with('-') && !Path::new(word).is_absolute() && path.exists() {
                quote(&path.to_string_lossy())
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The commands in a `submission.toml`'s text, made absolute under `base`.
pub fn parse_toml(text: &str, exercise: &Exercise, base: &Path) -> Result<Commands> {
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{SUBMISSION_FILE} is not valid TOML"))?;
    let mut commands = Commands::default();
    for (key, value) in table {
        let Some(role) = exercise.roles.iter().find(|r| r.name == key) else {
            let names: Vec<&str> = exercise.roles.iter().map(|r| r.name).collect();
            bail!(
                "{SUBMISSION_FILE} names {key:?}, which {} does not have (it has {})",
                exercise.package,
                names.join(" and ")
            );
        };
        let Some(command) = value.as_str().filter(|c| !c.trim().is_empty()) else {
            bail!("{SUBMISSION_FILE}: {key} must be a command in a string");
        };
        commands.by_role.push((*role, absolute(command, base)));
    }
    if commands.by_role.is_empty() {
        bail!("{SUBMISSION_FILE} names no program (server = \"…\", client = \"…\")");
    }
    Ok(commands)
}

/// The submissions of a class: every subdirectory of `dir`, sorted.
pub fn class(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut students = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            students.push(entry.path());
        }
    }
    students.sort();
    if students.is_empty() {
        bail!("{} holds no submission directory", dir.display());
    }
    Ok(students)
}

/// Copy the symbolic link `from` to `to`: as a link on Unix; on Windows,
/// where making a link needs a privilege students rarely have, what it
/// points to.
#[cfg(unix)]
fn copy_link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_link(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::metadata(from)?.is_dir() {
        copy_dir(from, to)
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

/// Copy the directory `from` into `to` (created), recursively; symbolic
/// links are copied as links (on Windows, what they point to).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            copy_link(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_naming_files_of_the_submission_become_absolute() {
        let dir = tempfile::tempdir().expect("a directory");
        std::fs::write(dir.path().join("server.py"), "").expect("written");
        let base = dir.path().to_string_lossy().into_owned();
        assert_eq!(
            absolute("python3 server.py --port 0", dir.path()),
            format!("python3 {base}/server.py --port 0")
        );
        assert_eq!(
            absolute("python3 -u other.py", dir.path()),
            "python3 -u other.py"
        );
    }

    #[test]
    fn a_submission_names_only_the_exercises_programs() {
        let exercise = Exercise::named("websocket-adder").expect("an exercise");
        let base = Path::new("/nowhere");
        let commands = parse_toml("server = \"python3 s.py\"\n", &exercise, base).expect("valid");
        assert_eq!(
            commands.env(),
            [(
                "WEBSOCKET_ADDER_SERVER".to_owned(),
                "python3 s.py".to_owned()
            )]
        );
        let error = parse_toml("front = \"x\"\n", &exercise, base).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "submission.toml names \"front\", which websocket-adder does not have (it has server and client)"
        );
        assert!(parse_toml("", &exercise, base).is_err());
    }
}

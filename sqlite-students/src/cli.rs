//! The client's commands: parsing (clap), running them against a
//! [`Store`], and printing the result as a table or as JSON.
//!
//! The same commands are read from the command line
//! (`sqlite-students-client --db aula.db list --situacao Cursando`) or, with
//! no command there, one per line from standard input, so the client works
//! at a terminal and in a pipe.

use crate::aluno::{Aluno, Filter, Patch, Situacao};
use crate::client::{ClientError, Store};
use crate::repo::{RepoError, Which};
use crate::report::{self, who};
use clap::{Parser, Subcommand};
use serde::Serialize;
use std::borrow::Cow;

/// One operation of the client.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// List students, optionally filtered (every filter given must hold).
    #[command(allow_negative_numbers = true)]
    List {
        /// Only this situação (Cursando, Formado, Trancamento, Desistiu; any case).
        #[arg(long)]
        situacao: Option<String>,
        /// Only students who entered after this year.
        #[arg(long, value_name = "YEAR")]
        ingresso_apos: Option<i64>,
        /// Only students with this whole name, ignoring case.
        #[arg(long)]
        nome: Option<String>,
    },
    /// Show the student with a matrícula.
    #[command(allow_negative_numbers = true)]
    Get { matricula: i64 },
    /// Insert a student (the columns in the table's order).
    #[command(allow_negative_numbers = true)]
    Insert {
        nome: String,
        matricula: i64,
        idade: i64,
        ingresso: i64,
        /// Cursando, Formado, Trancamento or Desistiu (any case).
        situacao: String,
    },
    /// Change some fields of the student with a matrícula.
    #[command(allow_negative_numbers = true)]
    Update {
        matricula: i64,
        #[arg(long)]
        nome: Option<String>,
        #[arg(long)]
        idade: Option<i64>,
        #[arg(long)]
        ingresso: Option<i64>,
        #[arg(long)]
        situacao: Option<String>,
    },
    /// Rename a student. If several have the name, say which with
    /// --matricula, or rename all of them with --all.
    #[command(allow_negative_numbers = true)]
    Rename {
        /// The current name (case does not matter).
        nome: String,
        /// The new name.
        novo: String,
        /// Rename only the student with this matrícula (who must have the name).
        #[arg(long, conflicts_with = "all")]
        matricula: Option<i64>,
        /// Rename every student with the name.
        #[arg(long)]
        all: bool,
    },
    /// How old is a student? (by name, ignoring case)
    Age { nome: String },
    /// Delete the student with a matrícula.
    #[command(allow_negative_numbers = true)]
    Delete { matricula: i64 },
    /// Run the whole exercise of the slides and print it as a lab report.
    Exercise,
}

impl Command {
    /// True for the commands that read only.
    pub fn reads_only(&self) -> bool {
        matches!(
            self,
            Command::List { .. } | Command::Get { .. } | Command::Age { .. }
        )
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Aligned tables and sentences.
    Table,
    /// One JSON document per command, on one line.
    Json,
}

/// Run `command` against `store`; returns the lines to print.
pub async fn execute(
    store: &mut Store,
    command: Command,
    output: Output,
) -> Result<Vec<String>, ClientError> {
    store.prepare(!command.reads_only())?;
    let printed = match command {
        Command::List {
            situacao,
            ingresso_apos,
            nome,
        } => {
            let situacao = situacao.as_deref().map(parse_situacao).transpose()?;
            let rows = store
                .list(&Filter {
                    situacao,
                    ingresso_apos,
                    nome,
                })
                .await?;
            rows_or_json(&rows, output)?
        }
        Command::Get { matricula } => {
            let aluno = store
                .get(matricula)
                .await?
                .ok_or_else(|| ClientError::from(RepoError::NotFound(matricula)))?;
            match output {
                Output::Table => report::table(std::slice::from_ref(&aluno)),
                Output::Json => json_line(&aluno)?,
            }
        }
        Command::Insert {
            nome,
            matricula,
            idade,
            ingresso,
            situacao,
        } => {
            // Checked here too, so both ways refuse with the same words
            // before anything is sent.
            let situacao = parse_situacao(&situacao)?;
            let aluno =
                Aluno::new(&nome, matricula, idade, ingresso, situacao).map_err(RepoError::from)?;
            let inserted = store.insert(&aluno).await?;
            match output {
                Output::Table => vec![format!("inserted {}", who(&inserted))],
                Output::Json => json_line(&inserted)?,
            }
        }
        Command::Update {
            matricula,
            nome,
            idade,
            ingresso,
            situacao,
        } => {
            let situacao = situacao.as_deref().map(parse_situacao).transpose()?;
            let patch =
                Patch::new(nome.as_deref(), idade, ingresso, situacao).map_err(RepoError::from)?;
            let updated = store.update(matricula, &patch).await?;
            match output {
                Output::Table => {
                    let mut lines = vec![format!("updated {}", who(&updated))];
                    lines.extend(report::table(std::slice::from_ref(&updated)));
                    lines
                }
                Output::Json => json_line(&updated)?,
            }
        }
        Command::Rename {
            nome,
            novo,
            matricula,
            all,
        } => {
            let which = match (matricula, all) {
                (Some(m), _) => Which::Matricula(m),
                (None, true) => Which::All,
                (None, false) => Which::Unique,
            };
            let renamed = store.rename(&nome, &novo, which).await?;
            match output {
                Output::Table => {
                    let count = report::count(renamed.changed);
                    let mut lines = vec![format!("{} changed:", count.trim_matches(['(', ')']))];
                    for row in &renamed.rows {
                        lines.push(format!("  {}  {} -> {}", row.matricula, row.from, row.to));
                    }
                    lines
                }
                Output::Json => json_line(&renamed)?,
            }
        }
        Command::Age { nome } => {
            let ages = store.ages(&nome).await?;
            match output {
                Output::Table => ages
                    .iter()
                    .map(|a| format!("{} ({}) is {}.", a.nome, a.matricula, a.idade))
                    .collect(),
                Output::Json => json_line(&ages)?,
            }
        }
        Command::Delete { matricula } => {
            let deleted = store.delete(matricula).await?;
            match output {
                Output::Table => vec![format!("deleted {}", who(&deleted))],
                Output::Json => json_line(&deleted)?,
            }
        }
        Command::Exercise => {
            let report = crate::exercise::run(store).await?;
            match output {
                Output::Table => report.to_text(),
                Output::Json => json_line(&report)?,
            }
        }
    };
    Ok(printed)
}

/// Situações are parsed here rather than by clap, so that a wrong one is
/// refused like every other invalid field: one line, exit code 1.
fn parse_situacao(text: &str) -> Result<Situacao, ClientError> {
    text.parse::<Situacao>()
        .map_err(|e| ClientError::from(RepoError::from(e)))
}

fn rows_or_json(rows: &[Aluno], output: Output) -> Result<Vec<String>, ClientError> {
    match output {
        Output::Table => Ok(report::table(rows)),
        Output::Json => json_line(&rows),
    }
}

fn json_line<T: Serialize + ?Sized>(value: &T) -> Result<Vec<String>, ClientError> {
    serde_json::to_string(value)
        .map(|s| vec![invisible_as_json_escapes(&s).into_owned()])
        .map_err(|e| ClientError::Usage(format!("cannot encode JSON: {e}")))
}

/// `json` with every character that [`crate::shown`] would escape written
/// as a JSON `\uXXXX` escape instead: the same document for a program that
/// parses it, and nothing raw for a terminal. serde_json escapes only the
/// C0 controls; DEL, the C1 controls (`\u009b` starts a terminal sequence
/// too) and the bidirectional overrides would otherwise pass as they are.
fn invisible_as_json_escapes(json: &str) -> Cow<'_, str> {
    if matches!(crate::shown(json), Cow::Borrowed(_)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut one = [0u8; 4];
    for c in json.chars() {
        if matches!(crate::shown(c.encode_utf8(&mut one)), Cow::Borrowed(_)) {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0u16; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    Cow::Owned(out)
}

/// A command typed on one line of standard input.
#[derive(Debug, Parser)]
#[command(
    name = "",
    no_binary_name = true,
    allow_negative_numbers = true,
    disable_version_flag = true
)]
pub struct Line {
    #[command(subcommand)]
    pub command: Command,
}

/// Split a line into words as a shell would for these commands: spaces
/// separate words; `'...'` and `"..."` quote; a backslash escapes the next
/// character outside single quotes.
///
/// ```
/// use sqlite_students::cli::split_words;
/// assert_eq!(
///     split_words(r#"insert "Maria José" 1 20 2020 Cursando"#).unwrap(),
///     ["insert", "Maria José", "1", "20", "2020", "Cursando"]
/// );
/// ```
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err("a \\ ends the line".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("a \\ ends the line".into()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_keep_spaces_and_empty_words() {
        assert_eq!(
            split_words(r#"rename 'Ana Maria' "" --all"#).unwrap(),
            ["rename", "Ana Maria", "", "--all"]
        );
        assert_eq!(split_words(r"a\ b  c").unwrap(), ["a b", "c"]);
        assert_eq!(
            split_words(r#"insert "Robert'); DROP TABLE Alunos;--""#).unwrap(),
            ["insert", "Robert'); DROP TABLE Alunos;--"]
        );
        assert!(split_words("'open").is_err());
        assert!(split_words("   ").unwrap().is_empty());
    }

    #[test]
    fn json_lines_escape_what_a_terminal_must_not_get_raw() {
        let name = "a\u{1b}[2J\u{7f}\u{9b}\u{202e}b\nÉ";
        let line = &json_line(&name).unwrap()[0];
        assert_eq!(line, r#""a\u001b[2J\u007f\u009b\u202eb\nÉ""#);
        assert_eq!(serde_json::from_str::<String>(line).unwrap(), name);
        assert_eq!(json_line(&"Olá").unwrap()[0], r#""Olá""#);
    }

    #[test]
    fn a_line_parses_as_a_command() {
        let line = Line::try_parse_from(["insert", "Maísa", "11280821", "26", "2023", "cursando"])
            .unwrap();
        assert_eq!(
            line.command,
            Command::Insert {
                nome: "Maísa".into(),
                matricula: 11280821,
                idade: 26,
                ingresso: 2023,
                situacao: "cursando".into(),
            }
        );
        let negative = Line::try_parse_from(["insert", "Ana", "1", "-5", "2020", "Cursando"]);
        assert!(negative.is_ok(), "a negative age reaches our check");
        assert!(
            Line::try_parse_from(["rename", "Pedro", "Carlos", "--all", "--matricula", "1"])
                .is_err()
        );
    }
}

//! What the client prints: aligned tables for people, JSON for programs.
//!
//! Columns are aligned by display width, not by bytes or `char`s: `João`
//! is 5 bytes but 4 columns wide, and a name typed with a combining accent
//! (`Mai\u{301}sa`) is 6 `char`s but 5 columns.

use crate::aluno::Aluno;
use crate::repo::{COLUMNS, Sql};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// The students as an aligned table under the slide's column names, with
/// the row count below, as `sqlite3` and `psql` print it (names
/// [`shown`](crate::shown) escaped before the columns are measured, so that a
/// row whose name holds control characters stays one aligned line):
///
/// ```text
/// Nome     Matricula  Idade  Ingresso  Situacao
/// -------  ---------  -----  --------  -----------
/// João      10114385     28      2022  Formado
/// Patrick   14204123     24      2022  Desistiu
/// (2 rows)
/// ```
///
/// A situação that is none of the four (another program wrote it) is shown
/// as stored and flagged `(?)`, with [`UNKNOWN_SITUACAO`] below the count.
pub fn table(rows: &[Aluno]) -> Vec<String> {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|a| {
            [
                crate::shown(&a.nome).into_owned(),
                a.matricula.to_string(),
                a.idade.to_string(),
                a.ingresso.to_string(),
                if a.situacao.is_known() {
                    a.situacao.to_string()
                } else {
                    format!("{} (?)", crate::shown(a.situacao.as_str()))
                },
            ]
        })
        .collect();
    let mut widths = COLUMNS.map(UnicodeWidthStr::width);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    // Numbers line up on the right, text on the left.
    let right = [false, true, true, true, false];
    let line = |cells: [&str; 5]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.width());
            if i > 0 {
                out.push_str("  ");
            }
            if right[i] {
                out.push_str(&pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&pad);
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = vec![
        line(COLUMNS),
        line(widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str)),
    ];
    for row in &cells {
        out.push(line(row.each_ref().map(String::as_str)));
    }
    out.push(count(rows.len()));
    if rows.iter().any(|a| !a.situacao.is_known()) {
        out.push(UNKNOWN_SITUACAO.to_owned());
    }
    out
}

/// The note under a table with a situação flagged `(?)`.
pub const UNKNOWN_SITUACAO: &str = "(?) none of Cursando, Formado, Trancamento, Desistiu: \
    another program wrote it (change it with update MATRICULA --situacao S)";

/// `(1 row)`, `(5 rows)`.
pub fn count(n: usize) -> String {
    if n == 1 {
        "(1 row)".into()
    } else {
        format!("({n} rows)")
    }
}

/// `Pedro (13100001)`: a student as the answers name one.
pub fn who(aluno: &Aluno) -> String {
    format!("{} ({})", aluno.nome, aluno.matricula)
}

/// The exercise, as a lab report: each step, the SQL it runs, its rows and
/// its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub title: String,
    pub steps: Vec<Step>,
}

/// One step of the exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub number: usize,
    /// The question or task, as the slide asks it.
    pub title: String,
    /// The statements the step ran, in order, each with its parameters:
    /// the values the repository executes.
    pub sql: Vec<Sql>,
    /// Rows the step shows, if it shows any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Aluno>>,
    /// The answer or what was done, sentence by sentence.
    pub answer: Vec<String>,
}

impl Report {
    /// The report as text, for a terminal or a file. Each statement a step
    /// ran is printed once, clause by clause as its text has them, followed
    /// by the parameters of each time it ran (`-- ?1 = 'Trancamento', ...`).
    pub fn to_text(&self) -> Vec<String> {
        let mut out = vec![self.title.clone()];
        for step in &self.steps {
            out.push(String::new());
            out.push(format!("{}. {}", step.number, step.title));
            let mut statements: Vec<(&str, Vec<&Sql>)> = Vec::new();
            for sql in &step.sql {
                match statements.iter_mut().find(|(s, _)| *s == sql.statement) {
                    Some((_, runs)) => runs.push(sql),
                    None => statements.push((sql.statement, vec![sql])),
                }
            }
            for (statement, runs) in statements {
                for (i, line) in statement.lines().enumerate() {
                    let lead = if i == 0 { "   SQL: " } else { "        " };
                    out.push(format!("{lead}{line}"));
                }
                for run in runs.iter().filter(|r| !r.params.is_empty()) {
                    out.push(format!("        -- {}", run.bindings()));
                }
            }
            if let Some(rows) = &step.rows {
                out.extend(table(rows).into_iter().map(|l| format!("   {l}")));
            }
            for (i, sentence) in step.answer.iter().enumerate() {
                let lead = if i == 0 { "-> " } else { "   " };
                out.push(format!("   {lead}{sentence}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aluno::{Situacao, exercise_students};

    #[test]
    fn columns_align_by_display_width() {
        let mut rows = exercise_students().to_vec();
        rows.push(Aluno::new("Mai\u{301}sa Ü", 7, 20, 2020, Situacao::Cursando).unwrap());
        let lines = table(&rows);
        // Every data line puts Matricula's last digit in the same column.
        let header_end = lines[0].find("Matricula").unwrap() + "Matricula".len();
        for line in &lines[2..lines.len() - 1] {
            let digits_end = line
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .next()
                .map(|i| line[..i].width() + line[i..].find(' ').unwrap())
                .unwrap();
            assert_eq!(digits_end, header_end, "{line:?}");
        }
        assert_eq!(lines.last().unwrap(), "(5 rows)");
    }

    #[test]
    fn no_line_ends_in_spaces() {
        for line in table(&exercise_students()) {
            assert_eq!(line.trim_end(), line);
        }
    }

    #[test]
    fn the_table_reads_as_expected() {
        let lines = table(&exercise_students()[..2]);
        assert_eq!(
            lines,
            [
                "Nome   Matricula  Idade  Ingresso  Situacao",
                "-----  ---------  -----  --------  -----------",
                "João    10114385     28      2022  Formado",
                "Pedro   13100001     25      2020  Trancamento",
                "(2 rows)",
            ]
        );
    }

    #[test]
    fn an_empty_table_has_its_header() {
        assert_eq!(table(&[]).last().unwrap(), "(0 rows)");
        assert_eq!(count(1), "(1 row)");
    }
}

//! The exercise of seed 001 ("Banco de Dados - Exercício de implementação"),
//! in order, as a lab report.
//!
//! 1. the slide's example: `Escrever.py` inserts Pedro (2213482);
//! 2. `Ler.py`: read the whole database;
//! 3. insert João, Pedro, Maísa and Patrick (the exercise's table);
//! 4. who locked the course (`Trancamento`)?
//! 5. who entered after 2012?
//! 6. how old is Patrick?
//! 7. rename Pedro to Carlos;
//! 8. the whole database, after.
//!
//! The matrícula is the identity, so a second run inserts nothing twice.
//! The data holds two Pedros (2213482 from `Escrever.py`, 13100001 from the
//! exercise's table): step 7 says so, and renames only the Pedro of the
//! exercise's table, by matrícula.
//!
//! The steps go through [`Store`], so the report is the same on a file and
//! through the server.

use crate::aluno::{Aluno, Filter, Situacao, escrever_py_student, exercise_students};
use crate::client::{ClientError, Store, same_name};
use crate::repo::{Sql, Which};
use crate::report::{Report, Step, who};

/// The Pedro the exercise's table lists, the one step 7 renames.
pub const PEDRO_OF_THE_TABLE: i64 = 13100001;

/// What step 7 renames him to.
const CARLOS: &str = "Carlos";

/// Run the whole exercise against `store`.
///
/// Each step records the statements that its operations ran, as the
/// repository runs them ([`Sql`]: the same text and the same parameters),
/// on the file or, through the API, on the server.
pub async fn run(store: &mut Store) -> Result<Report, ClientError> {
    let mut steps = Vec::new();
    let mut step = |title: &str, sql: Vec<Sql>, rows, answer| {
        steps.push(Step {
            number: steps.len() + 1,
            title: title.to_owned(),
            sql,
            rows,
            answer,
        });
    };

    let mut sql = Vec::new();
    let inserted = insert_missing(store, &[escrever_py_student()], &mut sql).await?;
    step(
        "Escrever.py: create the table Alunos and insert the slide's example",
        sql,
        None,
        inserted,
    );

    let (everyone, sql) = list(store, Filter::default()).await?;
    step(
        "Ler.py: read the whole database",
        sql,
        Some(everyone),
        vec![],
    );

    let mut sql = Vec::new();
    let inserted = insert_missing(store, &exercise_students(), &mut sql).await?;
    step(
        "Insert João, Pedro, Maísa and Patrick (the exercise's table)",
        sql,
        None,
        inserted,
    );

    let locked = Filter {
        situacao: Some(Situacao::Trancamento),
        ..Filter::default()
    };
    let (locked, sql) = list(store, locked).await?;
    let answer = names_or_nobody(&locked);
    step(
        "Quem trancou o curso? (who locked the course?)",
        sql,
        Some(locked),
        vec![answer],
    );

    let after = Filter {
        ingresso_apos: Some(2012),
        ..Filter::default()
    };
    let (after, sql) = list(store, after).await?;
    let answer = names_or_nobody(&after);
    step(
        "Quem entrou após 2012? (who entered after 2012?)",
        sql,
        Some(after),
        vec![answer],
    );

    // `ages` is the list by name, on the file as on the server.
    let sql = vec![Sql::list(&Filter {
        nome: Some("Patrick".into()),
        ..Filter::default()
    })];
    let answer = match store.ages("Patrick").await {
        Ok(ages) => ages
            .iter()
            .map(|a| format!("{} ({}) is {}.", a.nome, a.matricula, a.idade))
            .collect(),
        Err(e) if e.is_refusal() => vec![format!("{e}.")],
        Err(e) => return Err(e),
    };
    step(
        "Qual a idade de Patrick? (how old is Patrick?)",
        sql,
        None,
        answer,
    );

    let mut sql = Vec::new();
    let answer = rename_pedro(store, &mut sql).await?;
    step(
        "Alterar o nome de Pedro para Carlos (rename Pedro to Carlos: UPDATE)",
        sql,
        None,
        answer,
    );

    let (everyone, sql) = list(store, Filter::default()).await?;
    step(
        "The whole database, after the exercise",
        sql,
        Some(everyone),
        vec![],
    );

    Ok(Report {
        title: "The Alunos exercise (seed 001, Banco de Dados - Exercício de implementação)"
            .to_owned(),
        steps,
    })
}

/// The students that pass `filter`, and the statement that listed them.
async fn list(store: &mut Store, filter: Filter) -> Result<(Vec<Aluno>, Vec<Sql>), ClientError> {
    let rows = store.list(&filter).await?;
    Ok((rows, vec![Sql::list(&filter)]))
}

/// Insert the students whose matrícula is not there yet; say what happened
/// to each, and record in `sql` what ran.
async fn insert_missing(
    store: &mut Store,
    alunos: &[Aluno],
    sql: &mut Vec<Sql>,
) -> Result<Vec<String>, ClientError> {
    let mut said = Vec::new();
    for aluno in alunos {
        let m = aluno.matricula;
        // The insert checks the matrícula itself, in its transaction; a
        // refusal of these valid rows is that check finding it.
        match store.insert(aluno).await {
            Ok(_) => {
                sql.extend([Sql::exists(m), Sql::insert(aluno)]);
                said.push(format!("inserted {}", who(aluno)));
            }
            Err(refused) if refused.is_refusal() => {
                sql.extend([Sql::exists(m), Sql::get(m)]);
                match store.get(m).await? {
                    Some(existing) => said.push(format!(
                        "matricula {m} is already there (as {}): not inserted again",
                        existing.nome
                    )),
                    None => return Err(refused),
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(said)
}

/// Step 7: find the Pedros, explain, rename the one of the exercise's
/// table; record in `sql` what ran.
async fn rename_pedro(store: &mut Store, sql: &mut Vec<Sql>) -> Result<Vec<String>, ClientError> {
    let named_pedro = Filter {
        nome: Some("Pedro".into()),
        ..Filter::default()
    };
    let pedros = store.list(&named_pedro).await?;
    sql.push(Sql::list(&named_pedro));
    let keys: Vec<String> = pedros.iter().map(|a| a.matricula.to_string()).collect();
    let mut answer = vec![match pedros.len() {
        0 => "No student is named Pedro.".to_owned(),
        1 => format!("1 student is named Pedro (matricula {}).", keys[0]),
        n => format!(
            "{n} students are named Pedro (matriculas {}): renaming by name would change all of them.",
            keys.join(", ")
        ),
    }];
    answer.push(format!(
        "The exercise's table lists Pedro {PEDRO_OF_THE_TABLE}: rename only that row, by matricula \
         (rename Pedro Carlos --matricula {PEDRO_OF_THE_TABLE})."
    ));
    if !pedros.iter().any(|a| a.matricula == PEDRO_OF_THE_TABLE) {
        // Not a Pedro (any more): a second run finds him renamed already.
        sql.push(Sql::get(PEDRO_OF_THE_TABLE));
        if let Some(aluno) = store.get(PEDRO_OF_THE_TABLE).await?
            && same_name(&aluno.nome, CARLOS)
        {
            answer.push(format!(
                "Matricula {PEDRO_OF_THE_TABLE} is already named {}: 0 rows changed.",
                aluno.nome
            ));
            return Ok(answer);
        }
    }
    let which = Which::Matricula(PEDRO_OF_THE_TABLE);
    sql.push(Sql::rename_find("Pedro", which));
    match store.rename("Pedro", CARLOS, which).await {
        Ok(renamed) => {
            sql.push(Sql::rename(CARLOS, "Pedro", which));
            answer.push(format!(
                "{} changed:",
                crate::report::count(renamed.changed).trim_matches(['(', ')'])
            ));
            for row in renamed.rows {
                answer.push(format!("{}  {} -> {}", row.matricula, row.from, row.to));
            }
        }
        Err(e) if e.is_refusal() => answer.push(format!("{e}.")),
        Err(e) => return Err(e),
    }
    Ok(answer)
}

/// `Pedro (13100001)`, `Pedro (2213482), João (10114385)`, or `Nobody.`
fn names_or_nobody(alunos: &[Aluno]) -> String {
    if alunos.is_empty() {
        "Nobody.".to_owned()
    } else {
        let names: Vec<String> = alunos.iter().map(who).collect();
        match alunos.len() {
            1 => format!("{}.", names[0]),
            n => format!("{n} students: {}.", names.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{Repository, SqlValue};
    use rusqlite::trace::{TraceEvent, TraceEventCodes};
    use std::sync::{Arc, Mutex};

    /// `sql` with its parameters written in, as SQLite's `expanded_sql`
    /// writes them (`'...'` with `'` doubled, NULL, integers).
    fn expanded(sql: &Sql) -> String {
        let mut text = sql.statement.to_owned();
        // From the last, so that ?1 does not match the start of ?10.
        for (i, value) in sql.params.iter().enumerate().rev() {
            let literal = match value {
                SqlValue::Null => "NULL".to_owned(),
                other => other.to_string(),
            };
            text = text.replace(&format!("?{}", i + 1), &literal);
        }
        text
    }

    /// Run the exercise on an in-memory database whose connection records
    /// every statement SQLite runs (with its parameters); the report and
    /// that record.
    async fn traced_exercise(repo: Repository) -> (Report, Vec<String>) {
        let mut repo = repo;
        let ran = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&ran);
        repo.connection_mut()
            .trace_v2(
                TraceEventCodes::SQLITE_TRACE_STMT,
                Some(move |event: TraceEvent<'_>| {
                    if let TraceEvent::Stmt(stmt, _) = event
                        && let Some(sql) = stmt.expanded_sql()
                        && let Ok(mut ran) = record.lock()
                    {
                        ran.push(sql);
                    }
                }),
            )
            .expect("install the trace");
        let mut store = Store::repository(repo);
        let report = run(&mut store).await.expect("the exercise runs");
        let ran = ran.lock().expect("the record").clone();
        // Transaction control is the repository's own, not a step's.
        let statements = ran
            .into_iter()
            .filter(|s| !matches!(s.as_str(), "BEGIN IMMEDIATE" | "COMMIT" | "ROLLBACK"))
            .collect();
        (report, statements)
    }

    fn shown(report: &Report) -> Vec<String> {
        report
            .steps
            .iter()
            .flat_map(|s| &s.sql)
            .map(expanded)
            .collect()
    }

    #[tokio::test]
    async fn the_report_shows_exactly_the_statements_that_ran() {
        let (report, ran) = traced_exercise(Repository::open_in_memory().unwrap()).await;
        assert_eq!(shown(&report), ran);
        assert!(
            ran.iter()
                .any(|s| s == "UPDATE Alunos SET Nome = 'Carlos' WHERE Matricula = 13100001"),
            "the trace saw the rename: {ran:#?}"
        );
    }

    #[tokio::test]
    async fn a_second_run_shows_the_statements_it_ran() {
        let mut repo = Repository::open_in_memory().unwrap();
        repo.insert(&escrever_py_student()).unwrap();
        repo.insert_all(&exercise_students()).unwrap();
        repo.rename("Pedro", CARLOS, Which::Matricula(PEDRO_OF_THE_TABLE))
            .unwrap();
        let (report, ran) = traced_exercise(repo).await;
        assert_eq!(shown(&report), ran);
        let text = report.to_text().join("\n");
        assert!(text.contains("0 rows changed"), "{text}");
        assert!(
            !text.contains("INSERT INTO"),
            "nothing was inserted:\n{text}"
        );
    }

    #[test]
    fn each_statement_is_printed_once_with_each_runs_parameters() {
        let report = Report {
            title: "t".into(),
            steps: vec![Step {
                number: 1,
                title: "insert".into(),
                sql: vec![
                    Sql::exists(1),
                    Sql::insert(&escrever_py_student()),
                    Sql::exists(2),
                ],
                rows: None,
                answer: vec!["done".into()],
            }],
        };
        assert_eq!(
            report.to_text(),
            [
                "t",
                "",
                "1. insert",
                "   SQL: SELECT 1 FROM Alunos WHERE Matricula = ?1 LIMIT 1",
                "        -- ?1 = 1",
                "        -- ?1 = 2",
                "   SQL: INSERT INTO Alunos (Nome, Matricula, Idade, Ingresso, Situacao) VALUES (?1, ?2, ?3, ?4, ?5)",
                "        -- ?1 = 'Pedro', ?2 = 2213482, ?3 = 19, ?4 = 2022, ?5 = 'Cursando'",
                "   -> done",
            ]
        );
    }
}

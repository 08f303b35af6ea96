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

use crate::aluno::{Filter, Situacao, escrever_py_student, exercise_students};
use crate::client::{ClientError, Store, same_name};
use crate::repo::Which;
use crate::report::{Report, Step, who};

/// The Pedro the exercise's table lists, the one step 7 renames.
pub const PEDRO_OF_THE_TABLE: i64 = 13100001;

const INSERT_SQL: &str =
    "INSERT INTO Alunos (Nome, Matricula, Idade, Ingresso, Situacao) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Run the whole exercise against `store`.
pub async fn run(store: &mut Store) -> Result<Report, ClientError> {
    let mut steps = Vec::new();
    let mut step = |title: &str, sql: &str, rows, answer| {
        steps.push(Step {
            number: steps.len() + 1,
            title: title.to_owned(),
            sql: sql.to_owned(),
            rows,
            answer,
        });
    };

    let inserted = insert_missing(store, &[escrever_py_student()]).await?;
    step(
        "Escrever.py: create the table Alunos and insert the slide's example",
        INSERT_SQL,
        None,
        inserted,
    );

    let everyone = store.list(&Filter::default()).await?;
    step(
        "Ler.py: read the whole database",
        "SELECT * FROM Alunos",
        Some(everyone),
        vec![],
    );

    let inserted = insert_missing(store, &exercise_students()).await?;
    step(
        "Insert João, Pedro, Maísa and Patrick (the exercise's table)",
        INSERT_SQL,
        None,
        inserted,
    );

    let locked = store
        .list(&Filter {
            situacao: Some(Situacao::Trancamento),
            ..Filter::default()
        })
        .await?;
    let answer = names_or_nobody(&locked);
    step(
        "Quem trancou o curso? (who locked the course?)",
        "SELECT * FROM Alunos WHERE Situacao = ?1    -- ?1 = 'Trancamento'",
        Some(locked),
        vec![answer],
    );

    let after = store
        .list(&Filter {
            ingresso_apos: Some(2012),
            ..Filter::default()
        })
        .await?;
    let answer = names_or_nobody(&after);
    step(
        "Quem entrou após 2012? (who entered after 2012?)",
        "SELECT * FROM Alunos WHERE Ingresso > ?1    -- ?1 = 2012",
        Some(after),
        vec![answer],
    );

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
        "SELECT Nome, Matricula, Idade FROM Alunos WHERE fold(Nome) = fold(?1)    -- ?1 = 'Patrick'",
        None,
        answer,
    );

    let answer = rename_pedro(store).await?;
    step(
        "Alterar o nome de Pedro para Carlos (rename Pedro to Carlos: UPDATE)",
        "UPDATE Alunos SET Nome = ?1 WHERE Matricula = ?2    -- ?1 = 'Carlos', ?2 = 13100001",
        None,
        answer,
    );

    let everyone = store.list(&Filter::default()).await?;
    step(
        "The whole database, after the exercise",
        "SELECT * FROM Alunos",
        Some(everyone),
        vec![],
    );

    Ok(Report {
        title: "The Alunos exercise (seed 001, Banco de Dados - Exercício de implementação)"
            .to_owned(),
        steps,
    })
}

/// Insert the students whose matrícula is not there yet; say what happened
/// to each.
async fn insert_missing(
    store: &mut Store,
    alunos: &[crate::aluno::Aluno],
) -> Result<Vec<String>, ClientError> {
    let mut said = Vec::new();
    for aluno in alunos {
        match store.get(aluno.matricula).await? {
            Some(existing) => said.push(format!(
                "matricula {} is already there (as {}): not inserted again",
                aluno.matricula, existing.nome
            )),
            None => {
                store.insert(aluno).await?;
                said.push(format!("inserted {}", who(aluno)));
            }
        }
    }
    Ok(said)
}

/// Step 7: find the Pedros, explain, rename the one of the exercise's table.
async fn rename_pedro(store: &mut Store) -> Result<Vec<String>, ClientError> {
    let pedros = store
        .list(&Filter {
            nome: Some("Pedro".into()),
            ..Filter::default()
        })
        .await?;
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
    match store.get(PEDRO_OF_THE_TABLE).await? {
        Some(aluno) if same_name(&aluno.nome, "Carlos") => answer.push(format!(
            "Matricula {PEDRO_OF_THE_TABLE} is already named {}: 0 rows changed.",
            aluno.nome
        )),
        _ => match store
            .rename("Pedro", "Carlos", Which::Matricula(PEDRO_OF_THE_TABLE))
            .await
        {
            Ok(renamed) => {
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
        },
    }
    Ok(answer)
}

/// `Pedro (13100001)`, `Pedro (2213482), João (10114385)`, or `Nobody.`
fn names_or_nobody(alunos: &[crate::aluno::Aluno]) -> String {
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

//! `--into URL`: the client loads a workbook straight into a database, with
//! parameters, one transaction per sheet. Each database must end up holding
//! exactly what loading the printed script of its dialect gives (which the
//! `mariadb.rs`, `postgres.rs` and `sqlite.rs` tests compare with the
//! workbook), and a failure must leave nothing of its sheet behind.
//!
//! The MariaDB and PostgreSQL tests need those servers installed, as their
//! script tests do; without them they say `SKIPPED` (and fail under
//! `REQUIRE_ALL_TESTS=1`, as in CI).

mod support;

use support::fixtures::{self, Cell, Sheet, t};
use support::mariadb::MariaDb;
use support::mariadb::db_matches;
use support::postgres::{PostgreSql, pg_matches};
use support::sqlite::Sqlite;
use support::testing::{Finished, require};
use support::{Bridge, dialect_script, run_client, temp_file};

/// The client's `--offline --into URL` on `sheets` (as `livro.xlsx`), with
/// `extra` flags.
fn load(url: &str, sheets: &[Sheet], extra: &[&str]) -> Finished {
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(sheets));
    let path = path.to_str().expect("UTF-8");
    run_client(&[&[path, "--offline", "--into", url][..], extra].concat())
}

#[track_caller]
fn assert_loaded(done: &Finished) {
    assert!(done.status.success(), "stderr: {}", done.stderr);
}

/// Tipos's columns as a dialect names them (PostgreSQL cuts the long one
/// to 63 bytes).
fn tipos_columns(postgres: bool) -> Vec<String> {
    let mut columns: Vec<String> = fixtures::TIPOS_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    if postgres {
        columns[16].pop();
    }
    columns
}

const DADOS: [&str; 2] = ["Cidade", "População"];

fn owned(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

#[test]
fn loading_into_sqlite_stores_what_the_sqlite_script_stores() {
    if !require(
        "loading_into_sqlite_stores_what_the_sqlite_script_stores",
        support::sqlite::available(),
        "sqlite3 is not installed (apt-get install sqlite3)",
    ) {
        return;
    }
    let loaded = Sqlite::new();
    let url = format!("sqlite:{}", loaded.path().display());
    let done = load(&url, &fixtures::kitchen_sink(), &[]);
    assert_loaded(&done);
    assert_eq!(
        done.stdout,
        [
            "loaded 6 rows from sheet 'Tipos' into Table_Tipos",
            "loaded 2 rows from sheet 'Dados 2024' into Table_Dados_2024",
        ]
    );
    let scripted = Sqlite::new();
    scripted.load(&dialect_script("sqlite", &fixtures::kitchen_sink()));
    for (table, columns) in [
        ("Table_Tipos", tipos_columns(false)),
        ("Table_Dados_2024", owned(&DADOS)),
    ] {
        assert_eq!(
            loaded.rows(table, &columns),
            scripted.rows(table, &columns),
            "{table}"
        );
        assert_eq!(
            loaded.column_types(table),
            scripted.column_types(table),
            "{table}"
        );
        for column in &columns {
            assert_eq!(
                loaded.typeof_column(table, column),
                scripted.typeof_column(table, column),
                "{table}.{column}: the storage classes"
            );
        }
    }
}

/// The kitchen sink's two tables hold the same rows, with the same types,
/// in the database `loaded` (by `--into`) and in `scripted` (by the
/// script), read by `rows` and `types` (database, table, ...).
#[track_caller]
fn assert_same_tables(
    postgres: bool,
    rows: impl Fn(&str, &str, &[String]) -> Vec<Vec<serde_json::Value>>,
    types: impl Fn(&str, &str) -> Vec<(String, String)>,
) {
    for (table, columns) in [
        ("Table_Tipos", tipos_columns(postgres)),
        ("Table_Dados_2024", owned(&DADOS)),
    ] {
        assert_eq!(
            rows("loaded", table, &columns),
            rows("scripted", table, &columns),
            "{table}"
        );
        assert_eq!(types("loaded", table), types("scripted", table), "{table}");
    }
}

/// Load the kitchen sink's PostgreSQL script into `scripted`, and compare
/// with what `--into` put in `loaded`.
#[track_caller]
fn assert_postgres_holds_its_script(db: &PostgreSql) {
    db.load(
        "scripted",
        &dialect_script("postgres", &fixtures::kitchen_sink()),
    );
    assert_same_tables(
        true,
        |database, table, columns| db.rows(database, table, columns),
        |database, table| db.column_types(database, table),
    );
}

#[test]
fn loading_into_postgres_stores_what_the_postgres_script_stores() {
    if !require(
        "loading_into_postgres_stores_what_the_postgres_script_stores",
        support::postgres::available(),
        "PostgreSQL is not installed (apt-get install postgresql)",
    ) {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("loaded");
    db.create_database("scripted");
    let url = format!(
        "postgres://postgres@localhost/loaded?host={}",
        db.socket_dir().display()
    );
    let done = load(&url, &fixtures::kitchen_sink(), &["--batch", "4"]);
    assert_loaded(&done);
    assert_postgres_holds_its_script(&db);
    // The text with a NUL is NULL, and said so.
    let (_, cells) = fixtures::without_nul(fixtures::tipos());
    for cell in cells {
        let warning = format!(
            "warning: {cell}: a text with the NUL character, which PostgreSQL cannot store; \
             loaded as NULL\n"
        );
        assert!(done.stderr.contains(&warning), "{}", done.stderr);
    }
}

#[test]
fn loading_into_mariadb_stores_what_the_mysql_script_stores() {
    if !require(
        "loading_into_mariadb_stores_what_the_mysql_script_stores",
        support::mariadb::available(),
        "MariaDB is not installed (apt-get install mariadb-server)",
    ) {
        return;
    }
    let db = MariaDb::start();
    db.create_database("loaded");
    db.create_database("scripted");
    let url = format!(
        "mysql://root@localhost/loaded?socket={}",
        db.socket().display()
    );
    let done = load(&url, &fixtures::kitchen_sink(), &[]);
    assert_loaded(&done);
    assert!(
        done.stderr
            .contains("warning: Tipos!O2: #DIV/0!; loaded as NULL"),
        "{}",
        done.stderr
    );
    let bridge = support::Bridge::start(&[]);
    let answer = bridge.upload(
        "livro.xlsx",
        &fixtures::xlsx(&fixtures::kitchen_sink()),
        &[("create_table", "on")],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    db.load("scripted", &answer.body);
    assert_same_tables(
        false,
        |database, table, columns| db.rows(database, table, columns),
        |database, table| db.column_types(database, table),
    );
}

fn small() -> Sheet {
    Sheet::new(
        "Plan",
        &["Nome", "Idade"],
        vec![
            vec![t("Ana"), fixtures::n(30.0)],
            vec![t("Rui"), fixtures::n(41.0)],
        ],
    )
}

#[test]
fn an_existing_table_fails_the_load_and_nothing_is_loaded() {
    if !support::sqlite::required("an_existing_table_fails_the_load_and_nothing_is_loaded") {
        return;
    }
    let db = Sqlite::new();
    db.load("CREATE TABLE Table_Dados_2024 (x INTEGER);");
    let url = format!("sqlite:{}", db.path().display());
    let done = load(&url, &fixtures::kitchen_sink(), &[]);
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    assert_eq!(
        done.stderr.trim(),
        format!(
            "error: {url} already has a table Table_Dados_2024: nothing was loaded \
             (--if-exists append adds the rows to it, --if-exists replace drops it first)"
        )
    );
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert_eq!(
        db.run("SELECT name FROM sqlite_master ORDER BY name;")
            .expect("a query"),
        "Table_Dados_2024\n",
        "Tipos, before it, was not loaded either"
    );
}

#[test]
fn append_adds_the_rows_and_replace_starts_the_table_again() {
    if !support::sqlite::required("append_adds_the_rows_and_replace_starts_the_table_again") {
        return;
    }
    let db = Sqlite::new();
    let url = format!("sqlite:{}", db.path().display());
    let count = || db.run("SELECT count(*) FROM Table_Plan;").expect("a query");
    assert_loaded(&load(&url, &[small()], &[]));
    assert_loaded(&load(&url, &[small()], &["--if-exists", "append"]));
    assert_eq!(count(), "4\n");
    assert_loaded(&load(&url, &[small()], &["--if-exists", "replace"]));
    assert_eq!(count(), "2\n");
}

#[test]
fn a_sheet_that_fails_midway_leaves_nothing_behind() {
    if !support::sqlite::required("a_sheet_that_fails_midway_leaves_nothing_behind") {
        return;
    }
    let db = Sqlite::new();
    // The second row breaks the table's rule: the first, already sent, must
    // go too.
    db.load("CREATE TABLE Table_Plan (Nome TEXT, Idade INTEGER CHECK (Idade < 40));");
    let url = format!("sqlite:{}", db.path().display());
    let done = load(&url, &[small()], &["--if-exists", "append", "--batch", "1"]);
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    assert!(
        done.stderr
            .starts_with(&format!("error: cannot load into {url}: "))
            && done.stderr.contains("CHECK constraint failed")
            && done
                .stderr
                .trim_end()
                .ends_with("(table Table_Plan, nothing of it was loaded)"),
        "{}",
        done.stderr
    );
    assert_eq!(
        db.run("SELECT count(*) FROM Table_Plan;").expect("a query"),
        "0\n"
    );
}

#[test]
fn table_names_the_one_table() {
    if !support::sqlite::required("table_names_the_one_table") {
        return;
    }
    let db = Sqlite::new();
    let url = format!("sqlite:{}", db.path().display());
    let done = load(&url, &[small()], &["--table", "pessoas"]);
    assert_loaded(&done);
    assert_eq!(
        done.stdout,
        ["loaded 2 rows from sheet 'Plan' into pessoas"]
    );
    let two = load(&url, &fixtures::kitchen_sink(), &["--table", "tudo"]);
    assert_eq!(two.status.code(), Some(1));
    assert_eq!(
        two.stderr.trim(),
        "error: --table \"tudo\": the workbook has more than one sheet with data; choose one with --sheet"
    );
}

#[test]
fn a_database_password_is_never_shown() {
    let done = load("mysql://ana:s3cr3t@127.0.0.1:1/livro", &[small()], &[]);
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stderr
            .starts_with("error: cannot connect to mysql://ana:***@127.0.0.1:1/livro: "),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("s3cr3t"), "{}", done.stderr);
}

#[test]
fn through_the_services_the_converter_loads_into_an_allowed_host() {
    if !support::postgres::required("through_the_services_the_converter_loads_into_an_allowed_host")
    {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("loaded");
    db.create_database("scripted");
    let bridge = Bridge::start(&["--allow-into", "db.example,localhost"]);
    let url = format!(
        "postgres://postgres:s3cr3t@localhost/loaded?host={}",
        db.socket_dir().display()
    );
    let done = load_through(&bridge, &url, &fixtures::kitchen_sink(), &[]);
    assert_loaded(&done);
    assert_eq!(
        done.stdout,
        [
            "loaded 6 rows from sheet 'Tipos' into Table_Tipos",
            "loaded 2 rows from sheet 'Dados 2024' into Table_Dados_2024",
        ]
    );
    assert!(
        done.stderr
            .contains("warning: Tipos!O2: #DIV/0!; loaded as NULL"),
        "{}",
        done.stderr
    );
    assert_postgres_holds_its_script(&db);
    // The REST log shows the call, never the password.
    let log = bridge.program.stderr();
    assert!(
        log.contains("postgresql://postgres:***@localhost/loaded"),
        "{log}"
    );
    assert!(!log.contains("s3cr3t"), "{log}");
}

/// The client's `--into URL` through the front of `bridge`.
fn load_through(bridge: &Bridge, url: &str, sheets: &[Sheet], extra: &[&str]) -> Finished {
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(sheets));
    let path = path.to_str().expect("UTF-8");
    let front = bridge.front_url();
    run_client(&[&[path, "--url", front.as_str(), "--into", url][..], extra].concat())
}

#[test]
fn the_converter_loads_nowhere_its_operator_has_not_allowed() {
    let refused = |bridge: &Bridge, url: &str| {
        let answer = bridge.upload("livro.xlsx", &fixtures::xlsx(&[small()]), &[("into", url)]);
        assert_eq!(answer.status, 403, "{url}: {}", answer.body);
        serde_json::from_str::<serde_json::Value>(&answer.body).expect("JSON")["error"]
            .as_str()
            .expect("an error")
            .to_owned()
    };
    let closed = Bridge::start(&[]);
    assert_eq!(
        refused(&closed, "postgres://u@localhost/livro"),
        "this converter loads into no database: its operator allows hosts with --allow-into"
    );
    let open = Bridge::start(&["--allow-into", "db.example"]);
    assert_eq!(
        refused(&open, "mysql://u:p@10.0.0.7:3306/livro"),
        r#"this converter does not load into "10.0.0.7": its --allow-into lists "db.example""#
    );
    // A socket is this machine.
    assert_eq!(
        refused(&open, "postgres://u@db.example/livro?host=/run/postgresql"),
        r#"this converter does not load into "localhost": its --allow-into lists "db.example""#
    );
    assert!(refused(&open, "sqlite:/etc/livro.db").contains("--offline"));
}

#[test]
fn a_table_that_exists_is_a_conflict_through_the_services() {
    if !support::postgres::required("a_table_that_exists_is_a_conflict_through_the_services") {
        return;
    }
    let db = PostgreSql::start();
    db.create_database("livro");
    db.load("livro", "CREATE TABLE \"Table_Plan\" (x integer);");
    let bridge = Bridge::start(&["--allow-into", "localhost"]);
    let url = format!(
        "postgres://postgres@localhost/livro?host={}",
        db.socket_dir().display()
    );
    let done = load_through(&bridge, &url, &[small()], &[]);
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stderr.trim().ends_with(
            "already has a table \"Table_Plan\": nothing was loaded (--if-exists append adds the \
             rows to it, --if-exists replace drops it first) (HTTP 409)"
        ),
        "{}",
        done.stderr
    );
    let replaced = load_through(&bridge, &url, &[small()], &["--if-exists", "replace"]);
    assert_loaded(&replaced);
    assert_eq!(
        db.run(Some("livro"), "SELECT count(*) FROM \"Table_Plan\";")
            .expect("a query")
            .trim(),
        "2"
    );
}

/// Dates a Mac's old Excel would store in the 1904 date system.
fn dates() -> Sheet {
    Sheet::new(
        "Datas",
        &["Quando", "Nota"],
        vec![
            vec![
                Cell::DateTime(1904, 1, 2, 0, 0, 0),
                t("o segundo dia de 1904"),
            ],
            vec![Cell::DateTime(1990, 6, 15, 8, 30, 0), t("🎉 emoji")],
            vec![fixtures::date(2024, 2, 29), t("bissexto")],
            vec![
                Cell::DateTime(2099, 12, 31, 23, 59, 59),
                t("d'Ávila \\ \"fim\""),
            ],
        ],
    )
}

/// Load `dates()` from a workbook of each date system into `url` (tables
/// `d1900` and `d1904`), and check both against the model with `rows` (a
/// table, its columns) and `matches`.
#[track_caller]
fn assert_both_epochs_load(
    server: &str,
    url: &str,
    rows: impl Fn(&str, &[String]) -> Vec<Vec<serde_json::Value>>,
    matches: impl Fn(&serde_json::Value, &fixtures::Expect) -> bool + Copy,
) {
    for (table, bytes) in [
        ("d1900", fixtures::xlsx(&[dates()])),
        ("d1904", fixtures::xlsx_1904(&[dates()])),
    ] {
        let (_dir, path) = temp_file("datas.xlsx", &bytes);
        let done = run_client(&[
            path.to_str().expect("UTF-8"),
            "--offline",
            "--into",
            url,
            "--table",
            table,
        ]);
        assert_loaded(&done);
        let columns = ["Quando", "Nota"];
        let got = rows(table, &owned(&columns));
        support::assert_db_rows(server, table, &columns, &got, &dates(), matches);
    }
}

/// Three tests of one check, one per database: the check gets the
/// server's name, a URL to load into, how to read a table back, and how
/// its JSON says a value.
macro_rules! in_each_database {
    ($check:ident: $sqlite:ident, $postgres:ident, $mariadb:ident) => {
        #[test]
        fn $sqlite() {
            if !support::sqlite::required(stringify!($sqlite)) {
                return;
            }
            let db = Sqlite::new();
            let url = format!("sqlite:{}", db.path().display());
            $check("SQLite", &url, |t, c| db.rows(t, c), db_matches);
        }

        #[test]
        fn $postgres() {
            if !support::postgres::required(stringify!($postgres)) {
                return;
            }
            let (db, url) = postgres_livro();
            $check(
                "PostgreSQL",
                &url,
                |t, c| db.rows("livro", t, c),
                pg_matches,
            );
        }

        #[test]
        fn $mariadb() {
            if !support::mariadb::required(stringify!($mariadb)) {
                return;
            }
            let (db, url) = mariadb_livro();
            $check("MariaDB", &url, |t, c| db.rows("livro", t, c), db_matches);
        }
    };
}

in_each_database!(assert_both_epochs_load:
    both_date_systems_load_the_same_dates_into_sqlite,
    both_date_systems_load_the_same_dates_into_postgres,
    both_date_systems_load_the_same_dates_into_mariadb);

/// A PostgreSQL server with an empty database `livro`, and its URL.
fn postgres_livro() -> (PostgreSql, String) {
    let db = PostgreSql::start();
    db.create_database("livro");
    let url = format!(
        "postgres://postgres@localhost/livro?host={}",
        db.socket_dir().display()
    );
    (db, url)
}

/// A MariaDB server with an empty database `livro`, and its URL.
fn mariadb_livro() -> (MariaDb, String) {
    let db = MariaDb::start();
    db.create_database("livro");
    let url = format!(
        "mysql://root@localhost/livro?socket={}",
        db.socket().display()
    );
    (db, url)
}

const BIG: u32 = 200_000;
/// Load the 200,000-row sales workbook into `url`, and check every cell of
/// every row against the model with `rows` (a table, its columns) and
/// `matches`.
#[track_caller]
fn assert_big_loads_whole(
    server: &str,
    url: &str,
    rows: impl Fn(&str, &[String]) -> Vec<Vec<serde_json::Value>>,
    matches: impl Fn(&serde_json::Value, &fixtures::Expect) -> bool,
) {
    let (_dir, path) = temp_file("vendas.xlsx", &fixtures::big_workbook(BIG));
    // A debug build converts slowly, and the tests run side by side.
    let done = support::client()
        .spawn(&[path.to_str().expect("UTF-8"), "--offline", "--into", url])
        .finish_within(support::testing::timeout() * 10);
    assert_loaded(&done);
    assert_eq!(
        done.stdout,
        ["loaded 200000 rows from sheet 'Vendas' into Table_Vendas"]
    );
    let model = fixtures::sales(BIG);
    let columns: Vec<String> = model.header.iter().flatten().cloned().collect();
    let got = rows("Table_Vendas", &columns);
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    support::assert_db_rows(server, "Table_Vendas", &columns, &got, &model, matches);
}

in_each_database!(assert_big_loads_whole:
    two_hundred_thousand_rows_load_whole_into_sqlite,
    two_hundred_thousand_rows_load_whole_into_postgres,
    two_hundred_thousand_rows_load_whole_into_mariadb);

//! The server under load and abuse: concurrent writers, bad bytes, huge
//! and cut-off bodies, another program holding the lock, files it must not
//! serve, and a clean stop on Ctrl-C and SIGTERM.

mod support;

use common::testing::Launcher;
use serde_json::json;
use std::sync::Arc;
use std::thread;
use support::{Http, aluno, path_str, python_sql, server, start_server, tempdir};

#[test]
fn concurrent_inserts_of_one_matricula_store_it_once() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Arc::new(Http::new(&server));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let http = Arc::clone(&http);
            thread::spawn(move || {
                http.post(
                    "/alunos",
                    &aluno(&format!("Aluno {i}"), 777, 20, 2020, "Cursando"),
                )
                .status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().expect("a request thread"))
        .collect();
    statuses.sort_unstable();
    let mut expected = vec![201];
    expected.extend([409; 15]);
    assert_eq!(statuses, expected);
    assert_eq!(http.count(), 1);
}

#[test]
fn many_concurrent_readers_and_writers_are_all_served() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Arc::new(Http::new(&server));
    let handles: Vec<_> = (0..24)
        .map(|t| {
            let http = Arc::clone(&http);
            thread::spawn(move || {
                for i in 0..10 {
                    let m = t * 100 + i + 1;
                    let reply = http.post("/alunos", &aluno("Ana", m, 20, 2020, "Cursando"));
                    assert_eq!(reply.status, 201, "{}", reply.body);
                    let list = http.get("/alunos?nome=ana");
                    assert_eq!(list.status, 200, "{}", list.body);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a request thread");
    }
    assert_eq!(http.count(), 240);
}

#[test]
fn a_write_waits_for_another_programs_lock() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let server = start_server(&db);
    let http = Http::new(&server);
    // Python takes the write lock, says so, and holds it for a second.
    let holder = "import sqlite3, sys, time\n\
                  conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                  conn.execute('BEGIN IMMEDIATE')\n\
                  print('locked', flush=True)\n\
                  time.sleep(1)\n\
                  conn.execute('COMMIT')\n";
    let mut python = Launcher::python().spawn(&["-c", holder, path_str(&db)]);
    python.expect_line("locked");
    let reply = http.post("/alunos", &aluno("Ana", 1, 20, 2020, "Cursando"));
    assert_eq!(reply.status, 201, "the write waited: {}", reply.body);
    assert!(python.finish().status.success());
}

#[test]
fn a_batch_that_fails_midway_leaves_nothing() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let stored = http.post("/alunos", &aluno("Maísa", 11280821, 26, 2023, "Cursando"));
    assert_eq!(stored.status, 201, "{}", stored.body);
    // Valid, so the server starts inserting: the first two are in the
    // transaction when the third meets the stored matrícula.
    let batch = json!([
        aluno("Ana", 1, 20, 2020, "Cursando"),
        aluno("Bia", 2, 21, 2021, "Formado"),
        aluno("Outra Maísa", 11280821, 22, 2022, "Cursando"),
        aluno("Caio", 3, 23, 2019, "Desistiu"),
        aluno("Duda", 4, 24, 2018, "Trancamento"),
    ]);
    let reply = http.post("/alunos", &batch);
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(
        reply.json()["error"],
        "a student with matricula 11280821 already exists"
    );
    assert_eq!(
        http.get("/alunos").json(),
        json!([aluno("Maísa", 11280821, 26, 2023, "Cursando")]),
        "neither Ana nor Bia stayed"
    );
}

#[test]
fn a_batch_with_an_invalid_third_student_leaves_nothing() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let batch = json!([
        aluno("Ana", 1, 20, 2020, "Cursando"),
        aluno("Bia", 2, 21, 2021, "Formado"),
        aluno("Caio", 3, 23, 2019, "Jubilado"),
        aluno("Duda", 4, 24, 2018, "Trancamento"),
        aluno("Edu", 5, 25, 2017, "Cursando"),
    ]);
    let reply = http.post("/alunos", &batch);
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        reply.json()["error"],
        "item 2: situacao must be one of Cursando, Formado, Trancamento, Desistiu, not \"Jubilado\""
    );
    assert_eq!(http.get("/alunos").json(), json!([]));
}

#[test]
fn garbage_bytes_do_not_stop_the_server() {
    let dir = tempdir();
    let mut server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let reply = http.raw(b"\x00\xff\xfe not http at all\r\n\r\n");
    assert!(reply.status >= 400, "{reply:?}");
    server.assert_running();
    assert_eq!(http.get("/alunos").status, 200);
}

#[test]
fn a_huge_body_is_refused_and_the_server_goes_on() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let huge = json!({"nome": "A".repeat(3 << 20), "matricula": 1, "idade": 1, "ingresso": 2020, "situacao": "Cursando"});
    let reply = http.post("/alunos", &huge);
    assert_eq!(reply.status, 413, "{}", reply.body);
    let long_name = http.post("/alunos", &aluno(&"é".repeat(101), 1, 1, 2020, "Cursando"));
    assert_eq!(long_name.status, 422);
    assert_eq!(http.get("/alunos").json(), json!([]));
}

#[test]
fn stops_cleanly_on_sigint_and_keeps_the_data() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let server = start_server(&db);
    support::post_slide_students(&Http::new(&server));
    server.interrupt();
    let done = server.finish();
    assert!(done.status.success(), "{:?}: {}", done.status, done.stderr);
    assert_eq!(
        python_sql(
            &db,
            "print(conn.execute('SELECT count(*) FROM Alunos').fetchone()[0])"
        ),
        ["5"]
    );
}

#[test]
fn stops_cleanly_on_sigterm() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    assert_eq!(Http::new(&server).get("/alunos").status, 200);
    server.terminate();
    let done = server.finish();
    assert!(done.status.success(), "{:?}: {}", done.status, done.stderr);
}

#[test]
fn the_server_refuses_a_file_that_is_not_a_database() {
    let dir = tempdir();
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "not a database\n".repeat(200)).expect("write a text file");
    let done = server()
        .spawn(&["--listen", "127.0.0.1:0", "--db", path_str(&db)])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stdout.is_empty(),
        "it must not say it listens: {:?}",
        done.stdout
    );
    assert!(done.stderr.starts_with("error: "), "{}", done.stderr);
    assert!(
        done.stderr.contains("not an SQLite database"),
        "{}",
        done.stderr
    );
}

#[test]
fn the_server_refuses_a_table_alunos_of_another_shape() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    python_sql(
        &db,
        "conn.execute('CREATE TABLE Alunos(Nome TEXT, Idade INTEGER)')\nconn.commit()",
    );
    let done = server()
        .spawn(&["--listen", "127.0.0.1:0", "--db", path_str(&db)])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stderr
            .contains("the table Alunos has the columns (Nome, Idade)"),
        "{}",
        done.stderr
    );
}

#[test]
fn a_busy_port_is_one_error_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let done = server()
        .spawn(&["--listen", &addr, "--db", path_str(&db)])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    assert!(done.stderr.starts_with("error: "), "{}", done.stderr);
}

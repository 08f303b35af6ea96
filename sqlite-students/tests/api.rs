//! The HTTP JSON API: routes, filters and status codes, over the wire.

mod support;

use serde_json::{Value, json};
use support::{
    ApiReply as _, Http, aluno, matriculas, names, post_slide_students, slide_students,
    start_server, tempdir,
};

#[test]
fn post_creates_a_student_with_201_and_location() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let maisa = aluno("Maísa", 11280821, 26, 2023, "Cursando");
    let reply = http.post("/alunos", &maisa);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json(), maisa);
    assert_eq!(reply.header("location"), Some("/alunos/11280821"));
    let got = http.get("/alunos/11280821");
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), maisa);
}

#[test]
fn a_duplicate_matricula_is_409() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.post("/alunos", &aluno("Outro", 2213482, 30, 2020, "Formado"));
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(reply.error().contains("2213482"), "{}", reply.error());
    assert_eq!(
        http.get("/alunos/2213482").json()["nome"],
        "Pedro",
        "the first stays"
    );
    assert_eq!(http.count(), 5);
}

#[test]
fn invalid_fields_are_422_with_a_message() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let cases = [
        (aluno("Ana", 1, -5, 2020, "Cursando"), "idade"),
        (aluno("Ana", 1, 200, 2020, "Cursando"), "idade"),
        (aluno("Ana", 1, 20, 1800, "Cursando"), "ingresso"),
        (aluno("Ana", 1, 20, 2020, "Trancado"), "situacao"),
        (aluno("", 1, 20, 2020, "Cursando"), "nome"),
        (aluno("Ana", -3, 20, 2020, "Cursando"), "matricula"),
        (json!({"nome": "Ana", "matricula": 1}), "idade"),
        (
            json!({"nome": "Ana", "matricula": 1, "idade": "vinte", "ingresso": 2020, "situacao": "Cursando"}),
            "idade",
        ),
    ];
    for (body, field) in cases {
        let reply = http.post("/alunos", &body);
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert!(reply.error().contains(field), "{body}: {}", reply.error());
    }
    assert_eq!(http.get("/alunos").json(), json!([]), "nothing was stored");
}

#[test]
fn malformed_requests_are_400() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let reply = http.request("POST", "/alunos", Some("{\"nome\": "));
    assert_eq!(reply.status, 400, "{}", reply.body);
    reply.error();
    assert_eq!(http.get("/alunos/abc").status, 400);
    assert_eq!(http.get("/alunos?ingresso_apos=abc").status, 400);
    assert_eq!(http.get("/alunos?situacao=Trancado").status, 400);
    assert_eq!(
        http.get("/alunos?cor=azul").status,
        400,
        "unknown filters are not ignored"
    );
}

#[test]
fn unknown_students_are_404() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    for reply in [
        http.get("/alunos/99"),
        http.delete("/alunos/99"),
        http.patch("/alunos/99", &json!({"idade": 30})),
        http.patch("/alunos?nome=Zé", &json!({"nome": "José"})),
    ] {
        assert_eq!(reply.status, 404, "{}", reply.body);
        reply.error();
    }
    assert_eq!(http.get("/nada").status, 404);
}

#[test]
fn lists_filter_by_situacao_year_and_name() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let all = http.get("/alunos").json();
    assert_eq!(names(&all), ["Pedro", "João", "Pedro", "Maísa", "Patrick"]);
    let locked = http.get("/alunos?situacao=Trancamento").json();
    assert_eq!(matriculas(&locked), [13100001]);
    let after_2012 = http.get("/alunos?ingresso_apos=2012").json();
    assert_eq!(after_2012.as_array().map(Vec::len), Some(5));
    let after_2022 = http.get("/alunos?ingresso_apos=2022").json();
    assert_eq!(names(&after_2022), ["Maísa"], "after is strict");
    let both = http
        .get("/alunos?situacao=cursando&ingresso_apos=2022")
        .json();
    assert_eq!(names(&both), ["Maísa"]);
    let patrick = http.get("/alunos?nome=Patrick").json();
    assert_eq!(patrick[0]["idade"], 24);
}

#[test]
fn names_with_accents_filter_ignoring_case() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    for query in ["Ma%C3%ADsa", "MA%C3%8DSA", "ma%C3%ADsa", "Mai%CC%81sa"] {
        let found = http.get(&format!("/alunos?nome={query}")).json();
        assert_eq!(names(&found), ["Maísa"], "nome={query}");
    }
    assert_eq!(names(&http.get("/alunos?nome=JO%C3%83O").json()), ["João"]);
    assert_eq!(
        names(&http.get("/alunos?nome=pedro").json()),
        ["Pedro", "Pedro"]
    );
    assert_eq!(
        http.get("/alunos?nome=Maisa").json(),
        json!([]),
        "accents matter"
    );
    assert_eq!(
        http.get("/alunos?nome=Ped").json(),
        json!([]),
        "the whole name"
    );
}

#[test]
fn a_hostile_name_is_stored_and_found_as_plain_text() {
    let dir = tempdir();
    let db = dir.path().join("aula.db");
    let server = start_server(&db);
    let http = Http::new(&server);
    post_slide_students(&http);
    let bobby = "Robert'); DROP TABLE Alunos;--";
    let reply = http.post("/alunos", &aluno(bobby, 42, 20, 2021, "Cursando"));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let query = "Robert%27%29%3B%20DROP%20TABLE%20Alunos%3B--";
    let found = http.get(&format!("/alunos?nome={query}")).json();
    assert_eq!(names(&found), [bobby]);
    assert_eq!(http.count(), 6);
    let stored = support::python_sql(
        &db,
        "print(conn.execute('SELECT Nome FROM Alunos WHERE Matricula = 42').fetchone()[0])",
    );
    assert_eq!(stored, [bobby]);
}

#[test]
fn patch_changes_some_fields() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.patch(
        "/alunos/11280821",
        &json!({"situacao": "Formado", "idade": 27}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), aluno("Maísa", 11280821, 27, 2023, "Formado"));
    assert_eq!(http.get("/alunos/11280821").json()["situacao"], "Formado");
    let negative = http.patch("/alunos/11280821", &json!({"idade": -1}));
    assert_eq!(negative.status, 422);
    let identity = http.patch("/alunos/11280821", &json!({"matricula": 5}));
    assert_eq!(identity.status, 422);
    assert!(
        identity.error().contains("matricula"),
        "{}",
        identity.error()
    );
    assert_eq!(http.patch("/alunos/11280821", &json!({})).status, 422);
    assert_eq!(
        http.get("/alunos/11280821").json()["idade"],
        27,
        "unchanged by refusals"
    );
}

#[test]
fn delete_returns_the_deleted_student() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.delete("/alunos/14204123");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["nome"], "Patrick");
    assert_eq!(http.get("/alunos/14204123").status, 404);
    assert_eq!(http.delete("/alunos/14204123").status, 404);
}

#[test]
fn renaming_a_shared_name_is_409_with_the_matches() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.patch("/alunos?nome=Pedro", &json!({"nome": "Carlos"}));
    assert_eq!(reply.status, 409, "{}", reply.body);
    let body = reply.json();
    assert_eq!(matriculas(&body["matches"]), [2213482, 13100001]);
    assert!(
        reply.error().contains("2 students are named Pedro"),
        "{}",
        reply.error()
    );
    assert_eq!(
        names(&http.get("/alunos?nome=Pedro").json()),
        ["Pedro", "Pedro"],
        "nothing changed"
    );
}

#[test]
fn renaming_by_matricula_changes_one_row() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.patch(
        "/alunos?nome=Pedro&matricula=13100001",
        &json!({"nome": "Carlos"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"changed": 1, "rows": [{"matricula": 13100001, "from": "Pedro", "to": "Carlos"}]})
    );
    assert_eq!(http.get("/alunos/13100001").json()["nome"], "Carlos");
    assert_eq!(http.get("/alunos/2213482").json()["nome"], "Pedro");
    let wrong = http.patch(
        "/alunos?nome=Pedro&matricula=11280821",
        &json!({"nome": "Carlos"}),
    );
    assert_eq!(wrong.status, 409, "Maísa is not Pedro: {}", wrong.body);
    assert_eq!(http.get("/alunos/11280821").json()["nome"], "Maísa");
}

#[test]
fn renaming_all_changes_every_match_and_says_which() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.patch("/alunos?nome=pedro&todos=true", &json!({"nome": "Carlos"}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["changed"], 2);
    assert_eq!(matriculas(&body["rows"]), [2213482, 13100001]);
    assert_eq!(
        names(&http.get("/alunos?nome=Carlos").json()),
        ["Carlos", "Carlos"]
    );
}

#[test]
fn a_batch_is_inserted_whole_or_not_at_all() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let mut batch = slide_students();
    batch.push(aluno("Repetido", 2213482, 30, 2020, "Formado"));
    let reply = http.post("/alunos", &Value::Array(batch));
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(
        http.get("/alunos").json(),
        json!([]),
        "no row of the batch stayed"
    );
    let mut invalid = slide_students();
    invalid.push(aluno("Ana", 7, -1, 2020, "Cursando"));
    let reply = http.post("/alunos", &Value::Array(invalid));
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.error().contains("item 5"), "{}", reply.error());
    assert_eq!(http.get("/alunos").json(), json!([]));
    post_slide_students(&http);
    assert_eq!(http.count(), 5);
}

#[test]
fn a_name_of_invisible_characters_is_422_with_the_reason() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    let reply = http.post("/alunos", &aluno("\u{200b}", 1, 20, 2020, "Cursando"));
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        reply.error(),
        "nome must hold a visible character, not only invisible ones (U+200B)"
    );
    let blank = http.post(
        "/alunos",
        &aluno("\u{a0}\u{feff}\u{2060}", 2, 20, 2020, "Cursando"),
    );
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert_eq!(
        blank.error(),
        "nome must hold a visible character, not only invisible ones (U+FEFF, U+2060)"
    );
    assert_eq!(http.get("/alunos").json(), json!([]), "nothing was stored");
}

#[test]
fn renaming_to_invisible_characters_is_422() {
    let dir = tempdir();
    let server = start_server(&dir.path().join("aula.db"));
    let http = Http::new(&server);
    post_slide_students(&http);
    let reply = http.patch("/alunos?nome=Patrick", &json!({"nome": "\u{200b}\u{200b}"}));
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        reply.error(),
        "nome must hold a visible character, not only invisible ones (U+200B)"
    );
    assert_eq!(http.get("/alunos/14204123").json()["nome"], "Patrick");
}

#[test]
fn help_lists_the_routes_the_status_codes_and_a_curl_example() {
    // Our binary's documentation, not the protocol: a graded replacement
    // server need not have it.
    let done = common::testing::Launcher::fixed(env!("CARGO_BIN_EXE_sqlite-students-server"))
        .spawn(&["--help"])
        .finish();
    assert!(done.status.success(), "{}", done.stderr);
    let help = done.stdout.join("\n");
    for wanted in [
        "GET    /alunos?situacao=S&ingresso_apos=YEAR&nome=NAME",
        "GET    /alunos/{matricula}",
        "POST   /alunos",
        "PATCH  /alunos/{matricula}",
        "PATCH  /alunos?nome=NAME",
        "DELETE /alunos/{matricula}",
        "200",
        "201",
        "400",
        "404",
        "408",
        "409",
        "413",
        "415",
        "422",
        "500",
        "503",
        "curl -X POST http://127.0.0.1:8010/alunos",
    ] {
        assert!(help.contains(wanted), "--help lacks {wanted:?}:\n{help}");
    }
}

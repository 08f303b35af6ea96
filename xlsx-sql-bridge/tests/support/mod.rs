//! What the black-box tests of `xlsx-sql-bridge` share.
//!
//! The programs under test are started by command, never linked: set
//! `XLSX_SQL_BRIDGE_SERVER` or `XLSX_SQL_BRIDGE_CLIENT` to a command (for
//! example `"python3 my_bridge.py"`) and these tests grade that program
//! instead of ours. The server receives `--listen 127.0.0.1:0
//! --converter-listen 127.0.0.1:0` (or `--role ...`), and must print
//! `listening on <front>` then `converter listening on <converter>`.
//!
//! `fixtures` builds workbooks (with `rust_xlsxwriter`, and by hand for
//! `.xlsb` and `.ods`) from a model of their cells, which is also what the
//! script must say: the expected values never come from our own reader.
#![allow(dead_code)] // each test file uses a different part of this module

pub mod bombs;
pub mod fixtures;
pub mod mariadb;
pub mod parse;
pub mod postgres;
pub mod sqlite;

use common::testing::{Launcher, Program, timeout};

#[allow(unused_imports)] // not every test file needs it
pub use common::testing;

/// Why a formula saved without its result becomes `NULL`, as the script's
/// warning says it.
pub const UNCALCULATED: &str = "a formula saved without its result (openpyxl and pandas do not \
     calculate formulas; open the workbook in a spreadsheet program and save it to store them)";

/// The most cell warnings a script lists one by one.
pub const LISTED_WARNINGS: usize = 100;

/// The warnings a script must give the formulas saved without their result
/// in `sheet` (whose name needs no quotes), in order, as `Notas!D2: ...;
/// written as NULL` (without the comment's `-- warning: `).
pub fn uncalculated_warnings(sheet: &fixtures::Sheet) -> Vec<String> {
    let mut warnings = Vec::new();
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if matches!(cell, fixtures::Cell::Uncalculated(_)) {
                let column = char::from(b'A' + u8::try_from(c).expect("a column before Z"));
                warnings.push(format!(
                    "{}!{column}{}: {UNCALCULATED}; written as NULL",
                    sheet.name,
                    r + 2
                ));
            }
        }
    }
    warnings
}

/// The script's warning comments, without their `-- warning: `.
pub fn script_warnings(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("-- warning: "))
        .collect()
}

/// The server under test.
pub fn server() -> Launcher {
    Launcher::new(
        "XLSX_SQL_BRIDGE_SERVER",
        env!("CARGO_BIN_EXE_xlsx-sql-bridge-server"),
    )
}

/// The client under test.
pub fn client() -> Launcher {
    Launcher::new(
        "XLSX_SQL_BRIDGE_CLIENT",
        env!("CARGO_BIN_EXE_xlsx-sql-bridge-client"),
    )
}

/// Both services of one server process, started on free ports.
pub struct Bridge {
    pub program: Program,
    /// The front's address (`127.0.0.1:port`).
    pub front: String,
    /// The converter's address.
    pub converter: String,
}

impl Bridge {
    /// Start the server with both services on free ports, plus `extra` flags.
    pub fn start(extra: &[&str]) -> Self {
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--converter-listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let mut program = server().start_server(&args);
        let front = program.addr().to_owned();
        let second = program.next_line();
        let Some(converter) = second.strip_prefix("converter listening on ") else {
            panic!(
                "the second stdout line must be `converter listening on <addr>`, it was {second:?}"
            );
        };
        let converter = converter.trim().to_owned();
        Self {
            program,
            front,
            converter,
        }
    }

    pub fn front_url(&self) -> String {
        format!("http://{}", self.front)
    }

    pub fn converter_url(&self) -> String {
        format!("http://{}", self.converter)
    }

    /// Upload a workbook through the front's form.
    pub fn upload(&self, file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Answer {
        upload(&self.front_url(), file_name, bytes, fields)
    }

    /// Check that the front still converts a small workbook.
    #[track_caller]
    pub fn assert_still_converts(&mut self) {
        self.program.assert_running();
        let answer = self.upload("animals.xlsx", &fixtures::animals(), &[]);
        assert_eq!(answer.status, 200, "body: {}", answer.body);
        assert!(answer.body.contains("INSERT INTO Table_Animals"));
    }
}

/// A converter that accepts connections and never answers: its URL. A
/// thread accepts and keeps every connection, reading nothing, for as long
/// as the test process lives.
pub fn hung_converter() -> String {
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let url = format!("http://{}", hung.local_addr().expect("its address"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((conn, _)) = hung.accept() {
            held.push(conn);
        }
    });
    url
}

/// A front alone (`--role front`) calling the converter at `converter_url`,
/// with `extra` flags.
pub fn front_alone(converter_url: &str, extra: &[&str]) -> Program {
    let mut args = vec![
        "--role",
        "front",
        "--listen",
        "127.0.0.1:0",
        "--converter-url",
        converter_url,
    ];
    args.extend_from_slice(extra);
    server().start_server(&args)
}

/// An HTTP client for the tests (no proxy, every wait bounded).
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(timeout() * 3)
        .build()
        .expect("an HTTP client")
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub disposition: String,
    /// `Retry-After`, empty if absent.
    pub retry_after: String,
    pub body: String,
}

impl Answer {
    fn read(response: reqwest::blocking::Response) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let status = response.status().as_u16();
        let content_type = header("content-type");
        let disposition = header("content-disposition");
        let retry_after = header("retry-after");
        let body = response.text().expect("read the answer's body");
        Self {
            status,
            content_type,
            disposition,
            retry_after,
            body,
        }
    }

    /// The `error` of a JSON error answer.
    #[track_caller]
    pub fn error(&self) -> String {
        let value: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {}", self.body));
        value["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no \"error\" in {}", self.body))
            .to_owned()
    }
}

/// `POST {front}/upload` with a multipart form: the file and `fields`.
pub fn upload(front_url: &str, file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Answer {
    send_form(&format!("{front_url}/upload"), file_name, bytes, fields)
}

/// `POST {front}/preview` with the same form as [`upload`].
pub fn preview(front_url: &str, file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Answer {
    send_form(&format!("{front_url}/preview"), file_name, bytes, fields)
}

fn send_form(url: &str, file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Answer {
    let part =
        reqwest::blocking::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned());
    let mut form = reqwest::blocking::multipart::Form::new().part("file", part);
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let response = http()
        .post(url)
        .multipart(form)
        .send()
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    Answer::read(response)
}

/// `POST {url}` with a raw body.
pub fn post(url: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let response = http()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    Answer::read(response)
}

/// `GET {url}`.
pub fn get(url: &str) -> Answer {
    Answer::read(
        http()
            .get(url)
            .send()
            .unwrap_or_else(|e| panic!("GET {url}: {e}")),
    )
}

/// Upload bytes to the converter directly; the id it answers.
#[track_caller]
pub fn converter_upload(converter_url: &str, bytes: &[u8]) -> String {
    let answer = post(
        &format!("{converter_url}/uploads"),
        "application/octet-stream",
        bytes.to_vec(),
    );
    assert_eq!(answer.status, 201, "POST /uploads: {}", answer.body);
    let value: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(value["size"].as_u64(), Some(bytes.len() as u64));
    value["upload_id"]
        .as_str()
        .expect("an upload_id")
        .to_owned()
}

/// `POST {converter}/convert` with a JSON body.
pub fn converter_convert(converter_url: &str, json: serde_json::Value) -> Answer {
    post(
        &format!("{converter_url}/convert"),
        "application/json",
        json.to_string().into_bytes(),
    )
}

/// A "front" that answers every upload with `answer` (a whole HTTP
/// response) and closes: its URL. It reads the request's head, answers, then
/// reads the rest of the upload until the client leaves (closing with unread
/// bytes would reset the connection under the client's feet). Serves as
/// many clients as come, for as long as the test process lives.
pub fn fake_front(answer: Vec<u8>) -> String {
    let fake = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
    let url = format!("http://{}", fake.local_addr().expect("its address"));
    std::thread::spawn(move || {
        while let Ok((mut conn, _)) = fake.accept() {
            let mut head = Vec::new();
            let mut byte = [0u8];
            while !head.ends_with(b"\r\n\r\n")
                && std::io::Read::read(&mut conn, &mut byte).unwrap_or(0) == 1
            {
                head.push(byte[0]);
            }
            if std::io::Write::write_all(&mut conn, &answer).is_ok() {
                let _ = std::io::copy(&mut conn, &mut std::io::sink());
            }
        }
    });
    url
}

/// A whole `200 OK` answer whose body is `script`.
pub fn script_answer(script: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/sql; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{script}",
        script.len()
    )
    .into_bytes()
}

/// Run our client (or its replacement) with `args`; the finished process.
pub fn run_client(args: &[&str]) -> common::testing::Finished {
    client().spawn(args).finish()
}

/// The script lines that are statements or comments, without blank lines.
pub fn lines(script: &str) -> Vec<&str> {
    script.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// The `INSERT` lines of a one-row-per-statement script.
pub fn inserts(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter(|l| l.starts_with("INSERT INTO"))
        .collect()
}

/// Write `bytes` to a file named `name` in a fresh directory; the directory
/// lives as long as the returned guard.
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the workbook");
    (dir, path)
}

/// Compare the rows a database `server` holds in `table` (`columns` of
/// them, read back as JSON) with the model sheet, cell by cell: `matches`
/// says whether a value is the expected cell in that server's JSON. The
/// `Misto` column is text holding numbers: it holds each literal's text.
#[track_caller]
pub fn assert_db_rows(
    server: &str,
    table: &str,
    columns: &[&str],
    rows: &[Vec<serde_json::Value>],
    sheet: &fixtures::Sheet,
    matches: impl Fn(&serde_json::Value, &fixtures::Expect) -> bool,
) {
    let expected = sheet.data_rows();
    assert_eq!(rows.len(), expected.len(), "rows in {table}");
    for (r, (got, want)) in rows.iter().zip(&expected).enumerate() {
        for (c, column) in columns.iter().enumerate() {
            let cell = want.get(c).unwrap_or(&fixtures::Cell::Empty);
            let ok = if *column == "Misto" {
                got[c].as_str().map(str::to_owned) == fixtures::misto_text(cell)
            } else {
                matches(&got[c], &fixtures::expect(cell))
            };
            assert!(
                ok,
                "{table} row {} column {column}: {server} holds {}, the workbook {:?}",
                r + 1,
                got[c],
                fixtures::expect(cell)
            );
        }
    }
}

/// The script of `sheets` (as `.xlsx`) in `dialect` (`postgres`, `sqlite`),
/// through a fresh bridge, with `CREATE TABLE` and batches of 3 rows (the
/// paper's default, one row per statement, is the MySQL tests').
#[track_caller]
pub fn dialect_script(dialect: &str, sheets: &[fixtures::Sheet]) -> String {
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload(
        "livro.xlsx",
        &fixtures::xlsx(sheets),
        &[("dialect", dialect), ("create_table", "on"), ("batch", "3")],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

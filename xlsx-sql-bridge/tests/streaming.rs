//! Streaming and memory: a 200,000-row × 8-column workbook converts in
//! memory proportional to the workbook, and the script reaches the client
//! while it is being made.

mod support;

use std::io::{BufRead, BufReader, Read};
use support::testing::{file_names, peak_rss_kib, require, rss_kib, timeout};
use support::{Bridge, converter_upload, fixtures, server};

const ROWS: u32 = 200_000;

/// A debug build converts this workbook in tens of seconds: more than the
/// default time limit of a conversion on a slow machine, which is not what
/// these tests are about.
const PATIENT: [&str; 2] = ["--conversion-timeout", "600"];

/// The large workbook, built once for both tests (building it takes a
/// while in a debug build).
fn big() -> &'static [u8] {
    static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BIG.get_or_init(|| fixtures::big_workbook(ROWS))
}

/// An HTTP client for answers that take long to stream in a debug build.
fn patient_http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(timeout() * 30)
        .build()
        .expect("an HTTP client")
}

/// Read a streamed answer to its end, counting its `INSERT` lines, without
/// keeping it.
fn count_inserts(body: impl Read) -> u64 {
    let mut reader = BufReader::with_capacity(1 << 16, body);
    let mut line = Vec::new();
    let mut inserts = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .expect("read the script");
        if n == 0 {
            return inserts;
        }
        if line.starts_with(b"INSERT INTO") {
            inserts += 1;
        }
    }
}

#[test]
fn a_200k_row_workbook_converts_in_memory_proportional_to_the_workbook() {
    let ours = server().is_default();
    let bridge = Bridge::start(&PATIENT);
    let pid = bridge.program.pid();
    if !require(
        "a_200k_row_workbook_converts_in_memory_proportional_to_the_workbook",
        ours && rss_kib(pid).is_some(),
        "measures the process through /proc (Linux), and only our own server",
    ) {
        return;
    }
    let workbook = big();
    // Warm up (first-use allocations of the runtime, the HTTP stacks).
    let warm = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(warm.status, 200);
    let before = rss_kib(pid).expect("memory before");

    let part =
        reqwest::blocking::multipart::Part::bytes(workbook.to_vec()).file_name("vendas.xlsx");
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let response = patient_http()
        .post(format!("{}/upload", bridge.front_url()))
        .multipart(form)
        .send()
        .expect("POST /upload");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(count_inserts(response), u64::from(ROWS));

    let peak = peak_rss_kib(pid).expect("peak memory");
    let growth = peak.saturating_sub(before) * 1024;
    let workbook_bytes = workbook.len() as u64;
    eprintln!(
        "workbook {} MiB; server memory grew by {} MiB at most",
        workbook_bytes >> 20,
        growth >> 20
    );
    // The script is about 45 MB and the cells, held as values, about 50 MB:
    // a server that kept either would grow by far more than this.
    assert!(
        growth < 2 * workbook_bytes + (16 << 20),
        "memory grew by {} MiB for a {} MiB workbook",
        growth >> 20,
        workbook_bytes >> 20
    );
}

#[test]
fn the_script_flows_while_it_is_made_and_stops_when_the_client_leaves() {
    let dir = tempfile::tempdir().expect("a directory");
    let uploads = dir.path().to_str().expect("UTF-8");
    let bridge = Bridge::start(&[PATIENT[0], PATIENT[1], "--upload-dir", uploads]);
    let converter = bridge.converter_url();
    let id = converter_upload(&converter, big());
    let mut response = patient_http()
        .post(format!("{converter}/convert"))
        .json(&serde_json::json!({"upload_id": id}))
        .send()
        .expect("POST /convert");
    assert_eq!(response.status().as_u16(), 200);
    let mut first = vec![0u8; 4096];
    response
        .read_exact(&mut first)
        .expect("the first bytes of the script");
    assert!(first.starts_with(b"-- MySQL script"));
    // The script is far larger than every buffer on the way, so while it
    // is not read the conversion cannot have finished: its upload is still
    // there.
    assert_eq!(
        file_names(dir.path()).len(),
        1,
        "the conversion ran ahead of the reader"
    );
    drop(response);
    // The client left: the conversion stops and deletes the upload.
    let deadline = std::time::Instant::now() + timeout();
    while !file_names(dir.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload was not deleted after the client left"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

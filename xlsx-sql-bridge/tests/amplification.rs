//! Small files that describe huge workbooks: each is refused with 422,
//! naming the limit, before the reader expands it; the server's peak memory
//! stays under 512 MiB and it goes on converting. The workbooks are built
//! by hand in the tests (`support::bombs`), in memory, in milliseconds.

mod support;

use std::io::Read as _;
use std::time::{Duration, Instant};
use support::testing::{peak_rss_kib, require, timeout};
use support::{Bridge, bombs, run_client, server, temp_file};

/// The most memory the server may reach, in KiB.
const PEAK_KIB: u64 = 512 * 1024;

/// Upload `bytes` (named `name`) through the front of a fresh bridge: the
/// answer is a 422 whose sentence holds every one of `words`, quickly; the
/// server's peak memory stays under [`PEAK_KIB`], and it still converts.
/// Measures our own server only, through /proc: elsewhere `test` is
/// skipped.
#[track_caller]
fn assert_refused(test: &str, name: &str, bytes: &[u8], words: &[&str]) {
    let mut bridge = Bridge::start(&[]);
    let pid = bridge.program.pid();
    if !require(
        test,
        server().is_default() && peak_rss_kib(pid).is_some(),
        "measures the server's memory through /proc (Linux), and only our own server",
    ) {
        return;
    }
    let started = Instant::now();
    let answer = bridge.upload(name, bytes, &[]);
    let took = started.elapsed();
    let peak = peak_rss_kib(pid).expect("the server's peak memory");
    assert!(
        peak < PEAK_KIB,
        "the server reached {} MiB for a {} KiB file",
        peak / 1024,
        bytes.len() / 1024
    );
    assert_eq!(answer.status, 422, "{}", answer.body);
    let error = answer.error();
    assert!(words.iter().all(|w| error.contains(w)), "{error}");
    assert!(
        took < timeout(),
        "refusing took {took:?}: the file was expanded before it was judged"
    );
    bridge.assert_still_converts();
}

/// [`assert_refused`] for the memory limit, naming `what` is too big.
#[track_caller]
fn assert_too_big(test: &str, name: &str, bytes: &[u8], what: &str) {
    assert_refused(
        test,
        name,
        bytes,
        &["too large", what, "--conversion-memory"],
    );
}

#[test]
fn the_hand_made_workbooks_are_what_they_claim() {
    // The CRC of a repeat, and a hand-deflated entry that reads back.
    let unit = b"<si><t>a</t></si>";
    assert_eq!(
        bombs::crc32_repeated(unit, 1000),
        bombs::crc32(&unit.repeat(1000))
    );
    let bytes = bombs::zip_archive(&[(
        "a.txt",
        vec![
            bombs::Piece::Bytes(b"head "),
            bombs::Piece::Repeat(b"abc", 1001),
            bombs::Piece::Bytes(b" tail"),
        ],
    )]);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut text = String::new();
    archive
        .by_name("a.txt")
        .expect("the entry")
        .read_to_string(&mut text)
        .expect("inflates, with the right checksum");
    assert_eq!(text, format!("head {} tail", "abc".repeat(1001)));

    // Small versions convert: these are workbooks, not noise.
    let mut bridge = Bridge::start(&[]);
    for (name, bytes, expected) in [
        (
            "strings.xlsx",
            bombs::shared_strings_xlsx(1000, 1000),
            "'a'",
        ),
        ("repeated.ods", bombs::repeated_ods(3, 4), "INSERT INTO"),
        ("spaces.ods", bombs::spaces_ods(3), "'a   b'"),
        (
            "sparse.xls",
            bombs::sparse_xls(3, 3),
            "INSERT INTO Table_Plan1",
        ),
        ("small.xls", bombs::small_xls(), "INSERT INTO Table_Plan1"),
        ("mini.xls", bombs::mini_xls(), "INSERT INTO Table_Plan1"),
    ] {
        let answer = bridge.upload(name, &bytes, &[]);
        assert_eq!(answer.status, 200, "{name}: {}", answer.body);
        assert!(answer.body.contains(expected), "{name}: {}", answer.body);
    }
    bridge.assert_still_converts();
}

#[test]
fn ten_million_shared_strings_under_the_zip_bomb_ratio_are_refused_before_they_are_read() {
    let test =
        "ten_million_shared_strings_under_the_zip_bomb_ratio_are_refused_before_they_are_read";
    // 170 MB of XML in about a megabyte: a ratio of 160:1, which the zip-bomb
    // check (200:1) lets through.
    let book = bombs::shared_strings_xlsx(10_000_000, 10_000_000);
    let ratio = bombs::largest_ratio(&book);
    assert!((100..200).contains(&ratio), "ratio {ratio}:1");
    assert_too_big(test, "strings.xlsx", &book, "shared string");
}

#[test]
fn a_shared_string_table_that_claims_ten_billion_strings_is_refused() {
    let test = "a_shared_string_table_that_claims_ten_billion_strings_is_refused";
    // Two strings, and a `uniqueCount` calamine would reserve room for.
    let book = bombs::shared_strings_xlsx(2, 10_000_000_000);
    assert_too_big(test, "claims.xlsx", &book, "10,000,000,000 strings");
}

#[test]
fn a_tiny_ods_with_huge_repeat_counts_is_refused_before_it_is_expanded() {
    let test = "a_tiny_ods_with_huge_repeat_counts_is_refused_before_it_is_expanded";
    // 1,024 rows × 16,384 columns: 16.7 million cells of 32 bytes.
    let book = bombs::repeated_ods(1024, 16_384);
    assert!(book.len() < 2048, "{} bytes", book.len());
    assert_too_big(test, "repeated.ods", &book, "16,384 columns");
}

#[test]
fn an_ods_cell_of_a_billion_repeated_spaces_is_refused() {
    let test = "an_ods_cell_of_a_billion_repeated_spaces_is_refused";
    // 600 million spaces from a `<text:s text:c="600000000"/>`.
    let book = bombs::spaces_ods(600_000_000);
    assert_too_big(test, "spaces.ods", &book, "MiB of text");
}

#[test]
fn an_xls_with_two_far_apart_cells_is_refused_before_its_grid_is_built() {
    let test = "an_xls_with_two_far_apart_cells_is_refused_before_its_grid_is_built";
    // Cells at A1 and at row 65,535, column 256: a grid of 16.8 million
    // positions (537 MB, then copied), from a 5 KB file.
    let book = bombs::sparse_xls(u16::MAX, 256);
    assert_too_big(test, "sparse.xls", &book, "65,535 rows × 256 columns");
}

#[test]
fn an_xls_whose_dimensions_claim_a_trillion_cells_is_refused() {
    let test = "an_xls_whose_dimensions_claim_a_trillion_cells_is_refused";
    // calamine reserves room for what DIMENSIONS claims: 4 billion rows ×
    // 256 columns would be 40 TB, an allocation that aborts the process.
    let book = bombs::claiming_xls(u32::MAX);
    assert_too_big(test, "claims.xls", &book, "DIMENSIONS");
}

#[test]
fn an_xls_whose_sector_chain_loops_is_refused_as_damaged() {
    let test = "an_xls_whose_sector_chain_loops_is_refused_as_damaged";
    // The workbook stream's last sector points back to its first, and the
    // directory says the stream is 768 MiB long: calamine would go round
    // until it had that much.
    let book = bombs::looping_xls(768 << 20);
    assert_refused(test, "loop.xls", &book, &["damaged", "loops"]);
}

#[test]
fn the_memory_limit_is_a_flag() {
    // The same small workbook, refused under a 1 MiB budget.
    let bridge = Bridge::start(&["--conversion-memory", "1"]);
    let answer = bridge.upload("repeated.ods", &bombs::repeated_ods(1000, 100), &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer.error().contains("1.0 MiB one conversion may use"),
        "{}",
        answer.error()
    );
    let bridge = Bridge::start(&[]);
    let answer = bridge.upload("repeated.ods", &bombs::repeated_ods(1000, 100), &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[test]
fn offline_refuses_the_repeated_ods_before_expanding_it() {
    let (_dir, path) = temp_file("repeated.ods", &bombs::repeated_ods(1024, 16_384));
    let started = Instant::now();
    let done = run_client(&[path.to_str().expect("UTF-8"), "--offline"]);
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    assert!(
        done.stderr.contains("too large") && done.stderr.contains("--conversion-memory"),
        "{}",
        done.stderr
    );
    assert!(done.stdout.is_empty(), "no script: {:?}", &done.stdout[..1]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

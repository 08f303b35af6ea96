//! The page, in a real headless Chromium driven over WebDriver: choose a
//! workbook, watch the spinner, read the script and its line numbers, copy,
//! download, and see errors.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them each test
//! says `SKIPPED` (and fails under `REQUIRE_ALL_TESTS=1`, as in CI).

mod support;

use common::testing::browser::{self, Browser};
use common::testing::{Program, require, timeout};
use fantoccini::{Client, Locator};
use std::path::Path;
use support::{Bridge, bombs, fixtures, temp_file};

fn browser_available(test: &str) -> bool {
    require(test, browser::available(), browser::MISSING)
}

/// Everything one test needs: the server, a browser on the page, and the
/// directory its downloads go to.
struct Page {
    front_url: String,
    _server: Program,
    browser: Browser,
    client: Client,
    downloads: tempfile::TempDir,
}

impl Page {
    async fn open() -> Self {
        Self::open_with(&[]).await
    }

    /// The page of a bridge started with `extra` flags.
    async fn open_with(extra: &[&str]) -> Self {
        let bridge = Bridge::start(extra);
        let front_url = bridge.front_url();
        Self::open_at(front_url, bridge.program).await
    }

    /// The page of the front at `front_url`, served by `server`.
    async fn open_at(front_url: String, server: Program) -> Self {
        let downloads = tempfile::tempdir().expect("a download directory");
        let browser = Browser::start_with_downloads(downloads.path()).await;
        let client = browser.client.clone();
        client.goto(&front_url).await.expect("open the page");
        Self {
            front_url,
            _server: server,
            browser,
            client,
            downloads,
        }
    }

    /// Choose `path` in the file input, as a person would.
    async fn choose(&self, path: &Path) {
        let input = self
            .client
            .find(Locator::Css("#file"))
            .await
            .expect("the file input");
        input
            .send_keys(path.to_str().expect("UTF-8"))
            .await
            .expect("choose the file");
    }

    /// Wait until the page is in `state` (`idle`, `previewing`,
    /// `converting`, `done`, `error`).
    async fn wait_for(&self, state: &str) {
        let css = format!("body[data-state='{state}']");
        self.client
            .wait()
            .at_most(timeout() * 3)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("the page never reached {state}: {e}"));
    }

    /// Wait until an element matches `css` (a state and what it shows).
    async fn wait_for_css(&self, css: &str) {
        self.client
            .wait()
            .at_most(timeout() * 3)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matched {css}: {e}"));
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// `script` run on the page, its answer read as `T`.
    async fn eval<T: serde::de::DeserializeOwned>(&self, script: &str) -> T {
        let value = self
            .client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        serde_json::from_value(value).expect("the answer's type")
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("its text")
    }

    async fn shown(&self, css: &str) -> bool {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .is_displayed()
            .await
            .expect("its visibility")
    }

    async fn close(self) {
        self.browser.close().await;
    }
}

/// The script the front gives `animals.xlsx` (a blocking call, so off the
/// runtime's threads).
fn animals_script(front_url: &str) -> String {
    tokio::task::block_in_place(|| {
        support::upload(front_url, "animals.xlsx", &fixtures::animals(), &[]).body
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_converts_a_chosen_workbook_and_shows_it_with_line_numbers() {
    if !browser_available("the_page_converts_a_chosen_workbook_and_shows_it_with_line_numbers") {
        return;
    }
    let page = Page::open().await;
    assert_eq!(
        page.client.title().await.expect("a title"),
        "MySQL Script Generator"
    );
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    page.choose(&path).await;
    page.wait_for("done").await;

    let expected = animals_script(&page.front_url);
    let shown = page.text("#script").await;
    assert_eq!(
        shown.trim_end(),
        expected.trim_end(),
        "the page shows the script"
    );
    let lines = expected.trim_end().lines().count();
    let gutter = page.text("#gutter").await;
    let numbers: Vec<String> = (1..=lines).map(|n| n.to_string()).collect();
    assert_eq!(gutter, numbers.join("\n"), "one number per line");
    assert!(!page.shown("#status").await, "the spinner is gone");
    assert!(!page.shown("#error").await);
    assert!(
        !page.shown("#warnings").await,
        "no warnings without a cause"
    );
    assert_eq!(page.text("#download-name").await, "Animals.sql");
    page.close().await;
}

/// The warnings the page lists, in order.
async fn listed_warnings(page: &Page) -> Vec<String> {
    let listed = page
        .client
        .execute(
            "return [...document.querySelectorAll('#warning-list li')].map((li) => li.textContent);",
            vec![],
        )
        .await
        .expect("the listed warnings");
    serde_json::from_value(listed).expect("a list of strings")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_lists_the_scripts_warnings() {
    if !browser_available("the_page_lists_the_scripts_warnings") {
        return;
    }
    let page = Page::open().await;
    let sheet = fixtures::uncalculated(3);
    let (_dir, path) = temp_file("notas.xlsx", &fixtures::xlsx(std::slice::from_ref(&sheet)));
    page.choose(&path).await;
    page.wait_for("done").await;
    assert!(page.shown("#warnings").await, "the warnings are shown");
    assert_eq!(
        listed_warnings(&page).await,
        support::uncalculated_warnings(&sheet)
    );
    assert!(!page.shown("#warnings-more").await);
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_lists_200_warnings_then_counts_the_rest() {
    if !browser_available("the_page_lists_200_warnings_then_counts_the_rest") {
        return;
    }
    let page = Page::open().await;
    // A server whose script warns 250 times (ours lists at most 100 cells):
    // the page's upload answered by a script made here.
    page.client
        .execute(
            r#"const script = Array.from({ length: 250 },
                 (_, i) => `-- warning: Folha!A${i + 2}: #N/A; written as NULL\nSELECT 1;\n`).join("");
               const real = window.fetch;
               window.fetch = (url, options) => url === "/upload"
                 ? Promise.resolve(new Response(script, { headers: { "Content-Type": "application/sql" } }))
                 : real(url, options);"#,
            vec![],
        )
        .await
        .expect("answer the upload here");
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    page.choose(&path).await;
    page.wait_for("done").await;
    let expected: Vec<String> = (0..200)
        .map(|i| format!("Folha!A{}: #N/A; written as NULL", i + 2))
        .collect();
    assert_eq!(listed_warnings(&page).await, expected);
    assert_eq!(
        page.text("#warnings-more").await,
        "50 more warnings in the script are not shown here."
    );
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_a_spinner_while_converting() {
    if !browser_available("the_page_shows_a_spinner_while_converting") {
        return;
    }
    let page = Page::open().await;
    // Record every state the page goes through, with what it showed then,
    // so that even a conversion faster than WebDriver's polling is seen.
    page.client
        .execute(
            r#"window.seen = [];
               const status = document.getElementById("status");
               const spinner = status.querySelector(".spinner");
               new MutationObserver(() => window.seen.push({
                 state: document.body.dataset.state,
                 spinner: !status.hidden && getComputedStyle(spinner).display !== "none"
                   && spinner.getBoundingClientRect().width > 0,
                 text: status.textContent.trim(),
               })).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });"#,
            vec![],
        )
        .await
        .expect("install the observer");
    let rows: Vec<Vec<fixtures::Cell>> = (0..40_000)
        .map(|i| {
            vec![
                fixtures::n(f64::from(i)),
                fixtures::t("uma linha"),
                fixtures::n(0.5),
            ]
        })
        .collect();
    let book = fixtures::xlsx(&[fixtures::Sheet::new("Muitas", &["n", "texto", "x"], rows)]);
    let (_dir, path) = temp_file("muitas.xlsx", &book);
    page.choose(&path).await;
    page.wait_for("done").await;
    let seen = page
        .client
        .execute("return window.seen;", vec![])
        .await
        .expect("the states");
    let converting = seen
        .as_array()
        .and_then(|states| states.iter().find(|s| s["state"] == "converting"))
        .unwrap_or_else(|| panic!("the page never showed it was converting: {seen}"));
    assert_eq!(converting["spinner"], true, "a visible spinner: {seen}");
    assert!(
        converting["text"]
            .as_str()
            .is_some_and(|t| t.contains("Converting muitas.xlsx")),
        "{seen}"
    );
    assert!(
        !page.shown("#status").await,
        "the spinner is gone when done"
    );
    let note = page.text("#truncated").await;
    assert!(note.contains("first 5,000 of 40,004 lines"), "{note}");
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_and_download_take_the_whole_script() {
    if !browser_available("copy_and_download_take_the_whole_script") {
        return;
    }
    let page = Page::open().await;
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    page.choose(&path).await;
    page.wait_for("done").await;

    page.client
        .find(Locator::Css("#copy"))
        .await
        .expect("the copy button")
        .click()
        .await
        .expect("click copy");
    assert_eq!(page.text("#copy").await, "Copied");

    page.client
        .find(Locator::Css("#download"))
        .await
        .expect("the download button")
        .click()
        .await
        .expect("click download");
    let file = page.downloads.path().join("Animals.sql");
    let deadline = std::time::Instant::now() + timeout();
    while !file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no Animals.sql was downloaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let downloaded = std::fs::read_to_string(&file).expect("the downloaded script");
    let expected = animals_script(&page.front_url);
    assert_eq!(downloaded, expected);
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_the_servers_error() {
    if !browser_available("the_page_shows_the_servers_error") {
        return;
    }
    let page = Page::open().await;
    let (_dir, path) = temp_file("notas.xlsx", b"nome,idade\nAna,31\n");
    page.choose(&path).await;
    page.wait_for("error").await;
    let error = page.text("#error").await;
    assert!(
        error.contains("not a workbook") && error.contains("plain text"),
        "{error}"
    );
    assert!(!page.shown("#status").await, "no spinner left behind");
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_why_a_workbook_is_too_large() {
    if !browser_available("the_page_shows_why_a_workbook_is_too_large") {
        return;
    }
    let page = Page::open_with(&["--conversion-memory", "1"]).await;
    let (_dir, path) = temp_file("repetida.ods", &bombs::repeated_ods(1000, 100));
    page.choose(&path).await;
    page.wait_for("error").await;
    let error = page.text("#error").await;
    assert!(
        error.contains("too large")
            && error.contains("--conversion-memory")
            && error.contains("HTTP 422"),
        "{error}"
    );
    assert!(!page.shown("#status").await, "no spinner left behind");
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_a_converter_that_does_not_answer() {
    if !browser_available("the_page_shows_a_converter_that_does_not_answer") {
        return;
    }
    let hung_url = support::hung_converter();
    let front = support::front_alone(&hung_url, &["--converter-timeout", "1"]);
    let front_url = format!("http://{}", front.addr());
    let page = Page::open_at(front_url, front).await;
    let (_dir, path) = temp_file("animals.xlsx", &fixtures::animals());
    page.choose(&path).await;
    page.wait_for("error").await;
    let error = page.text("#error").await;
    assert!(
        error.contains("did not answer within 1 s") && error.contains("HTTP 504"),
        "{error}"
    );
    page.close().await;
}

/// The texts of every element matching `css`, in order.
async fn texts(page: &Page, css: &str) -> Vec<String> {
    page.eval(&format!(
        "return [...document.querySelectorAll({})].map((e) => e.textContent.trim());",
        serde_json::Value::from(css)
    ))
    .await
}

/// The script the front gives `sheets` with form `fields` (off the runtime's
/// threads).
fn script_of(front_url: &str, sheets: &[fixtures::Sheet], fields: &[(&str, &str)]) -> String {
    tokio::task::block_in_place(|| {
        let answer = support::upload(front_url, "livro.xlsx", &fixtures::xlsx(sheets), fields);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_previews_the_first_rows_and_the_column_types() {
    if !browser_available("the_page_previews_the_first_rows_and_the_column_types") {
        return;
    }
    let page = Page::open().await;
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&[fixtures::report()]));
    page.choose(&path).await;
    page.wait_for("done").await;
    assert!(page.shown("#preview").await, "the preview is shown");
    assert_eq!(texts(&page, "#sheet-list label").await, ["Relatório"]);
    assert_eq!(
        texts(&page, ".preview-sheet tr[data-row] .row-number").await,
        ["1", "3", "4", "5"],
        "the sheet's rows with a value, numbered as in the spreadsheet"
    );
    assert_eq!(
        texts(&page, ".preview-sheet tr.header td").await,
        ["Vendas de março", "", ""],
        "the first row with a value names the columns by default"
    );
    assert_eq!(
        texts(&page, ".preview-sheet thead th.letter").await,
        ["A", "B", "C"]
    );
    let title = page.text(".preview-sheet h3").await;
    assert!(title.contains("3 rows, header on row 1"), "{title}");
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clicking_a_row_number_makes_it_the_header_and_converts_again() {
    if !browser_available("clicking_a_row_number_makes_it_the_header_and_converts_again") {
        return;
    }
    let page = Page::open().await;
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&[fixtures::report()]));
    page.choose(&path).await;
    page.wait_for("done").await;
    page.click(".row-pick[data-row='3']").await;
    page.wait_for_css("body[data-state='done'] .preview-sheet[data-header-row='3']")
        .await;
    assert_eq!(
        texts(&page, ".preview-sheet tr.above .row-number").await,
        ["1"],
        "the title is left out"
    );
    assert_eq!(
        texts(&page, ".preview-sheet tr.types td").await,
        ["Nome VARCHAR(3)", "Idade INT", "CEP INT"],
        "each column's name and type under the header"
    );
    let header_row: String = page
        .eval("return document.getElementById('header-row').value;")
        .await;
    assert_eq!(header_row, "3");
    let expected = script_of(
        &page.front_url,
        &[fixtures::report()],
        &[("header_row", "3")],
    );
    assert_eq!(page.text("#script").await.trim_end(), expected.trim_end());
    page.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sheet_left_out_is_not_converted() {
    if !browser_available("a_sheet_left_out_is_not_converted") {
        return;
    }
    let page = Page::open().await;
    let other = fixtures::Sheet::new("Outra", &["x"], vec![vec![fixtures::n(1.0)]]);
    let sheets = [fixtures::report(), other];
    let (_dir, path) = temp_file("livro.xlsx", &fixtures::xlsx(&sheets));
    page.choose(&path).await;
    page.wait_for("done").await;
    assert_eq!(
        texts(&page, ".preview-sheet .sheet-name").await,
        ["Relatório", "Outra"]
    );
    page.click("#sheet-list input[data-sheet='Relatório']")
        .await;
    page.wait_for_css("body[data-state='done'] #preview-sheets[data-count='1']")
        .await;
    assert_eq!(texts(&page, ".preview-sheet .sheet-name").await, ["Outra"]);
    assert_eq!(
        texts(&page, "#sheet-list label").await,
        ["Relatório", "Outra"],
        "a sheet left out can be taken back"
    );
    let expected = script_of(&page.front_url, &sheets, &[("sheet", "Outra")]);
    assert_eq!(page.text("#script").await.trim_end(), expected.trim_end());
    page.close().await;
}

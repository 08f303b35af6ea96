//! The page in a real browser: headless Chromium, driven over WebDriver by
//! fantoccini, loads the page from the real server, types, clicks and reads.
//! Needs Debian's `chromium` and `chromium-driver`: without them these tests
//! say SKIPPED, or fail under `REQUIRE_ALL_TESTS=1`.

mod support;

use common::testing::browser::{self, Browser};
use common::testing::{Program, require, timeout};
use fantoccini::{Client, Locator};
use std::time::Duration;
use support::{server, start_server};

fn have_browser(test: &str) -> bool {
    require(test, browser::available(), browser::MISSING)
}

/// Wait until an element matching the CSS `selector` exists; its text.
async fn wait_for(client: &Client, selector: &str) -> String {
    let element = client
        .wait()
        .at_most(timeout())
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("the page never showed {selector}: {e}"));
    element.text().await.expect("the element's text")
}

/// Wait until the element `selector` shows exactly `expected`.
async fn wait_for_text(client: &Client, selector: &str, expected: &str) {
    let xpath_literal = format!("'{expected}'");
    let xpath = format!(
        "//*[@id='{}' and normalize-space(.)={xpath_literal}]",
        selector.trim_start_matches('#')
    );
    if let Err(e) = client
        .wait()
        .at_most(timeout())
        .for_element(Locator::XPath(&xpath))
        .await
    {
        let shown = client
            .find(Locator::Css(selector))
            .await
            .ok()
            .map(|el| async move { el.text().await.unwrap_or_default() });
        let shown = match shown {
            Some(text) => text.await,
            None => "<missing>".to_owned(),
        };
        panic!("{selector} never showed {expected:?} (it shows {shown:?}): {e}");
    }
}

/// Load the page from `server` and wait until both WebSockets are open.
async fn open_page(client: &Client, server: &Program) {
    client
        .goto(&format!("http://{}/", server.addr()))
        .await
        .expect("load the page");
    wait_for(client, "#status[data-state='connected']").await;
}

/// Type into the two fields and press Add.
async fn add(client: &Client, a: &str, b: &str) {
    for (id, value) in [("#a", a), ("#b", b)] {
        let field = client.find(Locator::Css(id)).await.expect("a number field");
        field.clear().await.expect("clear the field");
        field.send_keys(value).await.expect("type a number");
    }
    client
        .find(Locator::Css("#add"))
        .await
        .expect("the Add button")
        .click()
        .await
        .expect("click Add");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_adds_two_numbers_in_a_real_browser() {
    if !have_browser("the_page_adds_two_numbers_in_a_real_browser") {
        return;
    }
    let server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    add(client, "3", "4").await;
    wait_for_text(client, "#result", "7").await;
    add(client, "0.1", "0.2").await;
    wait_for_text(client, "#result", "0.3").await;
    assert_eq!(history(client).await, ["0.1 + 0.2 = 0.3", "3 + 4 = 7"]);
    browser.close().await;
}

/// The history's lines, newest first.
async fn history(client: &Client) -> Vec<String> {
    let mut lines = Vec::new();
    for item in client
        .find_all(Locator::Css("#history li"))
        .await
        .expect("the history")
    {
        lines.push(item.text().await.expect("a history line"));
    }
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_a_long_sum_with_every_digit() {
    if !have_browser("the_page_shows_a_long_sum_with_every_digit") {
        return;
    }
    let server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    // A double would show 1e+28; the page shows the server's text.
    add(client, "1e28", "0.1").await;
    wait_for_text(client, "#result", "10000000000000000000000000000.1").await;
    assert_eq!(
        history(client).await,
        ["1e28 + 0.1 = 10000000000000000000000000000.1"]
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_adds_numbers_no_double_holds() {
    if !have_browser("the_page_adds_numbers_no_double_holds") {
        return;
    }
    let server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    // Beyond a double's range at both ends: the fields take the text as
    // typed and the server adds it.
    add(client, "1e400", "1e-400").await;
    let sum = format!("1{}.{}1", "0".repeat(400), "0".repeat(399));
    wait_for_text(client, "#result", &sum).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_from_the_server_shows_on_the_page() {
    if !have_browser("an_error_from_the_server_shows_on_the_page") {
        return;
    }
    let server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    add(client, "1e1000", "1").await;
    let error = wait_for(client, "#result.error").await;
    assert_eq!(
        error,
        r#""1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#
    );
    assert_eq!(
        history(client).await,
        ["no sums yet"],
        "an error is not a result"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decimal_comma_in_a_field_is_explained_on_the_page() {
    if !have_browser("a_decimal_comma_in_a_field_is_explained_on_the_page") {
        return;
    }
    let server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    // "1,5 2" would be three numbers to the server; the page says why first.
    add(client, "1,5", "2").await;
    let error = wait_for(client, "#result.error").await;
    assert_eq!(
        error,
        "type one number in each field; decimals take a dot: 1.5, not 1,5"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pushed_message_appears_on_the_page() {
    if !have_browser("a_pushed_message_appears_on_the_page") {
        return;
    }
    let mut server = start_server(&[]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    server.write_line("Bom dia, navegador!");
    let xpath = "//ul[@id='pushed']/li[contains(., 'Bom dia, navegador!')]";
    client
        .wait()
        .at_most(timeout())
        .for_element(Locator::XPath(xpath))
        .await
        .expect("the pushed message on the page");
    server.expect_line("> Bom dia, navegador! (pushed to 1 page)");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_reconnects_by_itself_when_the_server_comes_back() {
    if !have_browser("the_page_reconnects_by_itself_when_the_server_comes_back") {
        return;
    }
    let first = start_server(&[]);
    let addr = first.addr().to_owned();
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &first).await;
    first.interrupt();
    let done = tokio::task::spawn_blocking(move || first.finish())
        .await
        .expect("the waiting thread");
    assert!(done.status.success(), "stderr: {}", done.stderr);
    let status = wait_for(client, "#status[data-state='disconnected']").await;
    assert!(status.contains("disconnected"), "{status}");
    // The same address again: the page was not reloaded, it reconnects.
    let second = server().start_server(&["--listen", &addr]);
    wait_for(client, "#status[data-state='connected']").await;
    add(client, "20", "22").await;
    wait_for_text(client, "#result", "42").await;
    drop(second);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_page_answers_the_pings_and_stays_connected() {
    if !have_browser("an_idle_page_answers_the_pings_and_stays_connected") {
        return;
    }
    let mut server = start_server(&["--timeout", "1"]);
    let browser = Browser::start().await;
    let client = &browser.client;
    open_page(client, &server).await;
    server.line_containing("+ push");
    // Idle for 3.5 timeouts: the server pings after each second of silence
    // and would close after two (`- push`, then the page's `+ push` again);
    // the browser answers every ping by itself.
    let (server, said) = tokio::task::spawn_blocking(move || {
        let said = server.next_line_within(Duration::from_millis(3500));
        (server, said)
    })
    .await
    .expect("the waiting thread");
    assert_eq!(said, None, "the page's /push WebSocket was closed");
    let mut server = server;
    add(client, "3", "4").await;
    wait_for_text(client, "#result", "7").await;
    server.expect_line("< 3 4");
    server.write_line("still here");
    server.expect_line("> still here (pushed to 1 page)");
    browser.close().await;
}

//! Take the README's screenshot of the page, in headless Chromium.
//!
//! ```text
//! cargo run -p websocket-adder --example screenshot [-- OUTPUT.png]
//! ```
//!
//! Starts the library's server in this process, opens the page, adds a few
//! numbers and pushes two messages (as the operator would type them), and
//! saves what the browser shows to `websocket-adder/page.png` (or OUTPUT).
//! Needs Chromium and ChromeDriver, as the browser tests do.

use anyhow::Context as _;
use common::testing::browser;
use fantoccini::Locator;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use websocket_adder::server::{self, Console, ServerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let output = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/page.png").to_owned());
    anyhow::ensure!(browser::available(), "{}", browser::MISSING);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (operator, lines) = tokio::sync::mpsc::channel(8);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(server::run(
        listener,
        None,
        ServerConfig::default(),
        Console::quiet().with_operator(lines),
        shutdown.clone(),
    ));

    let browser = browser::Browser::start().await;
    let client = &browser.client;
    client.set_window_size(760, 920).await?;
    client.goto(&format!("http://{addr}/")).await?;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#status[data-state='connected']"))
        .await?;
    for line in [
        "Bom dia! O servidor está no ar.",
        "Exercício: some dois números.",
    ] {
        operator.send(line.to_owned()).await?;
    }
    for (a, b, sum) in [
        ("3", "4", "7"),
        ("1.5", "2.25", "3.75"),
        ("0.1", "0.2", "0.3"),
        // Every digit, which a double would have rounded to 1e+28.
        ("1e28", "0.1", "10000000000000000000000000000.1"),
    ] {
        for (id, value) in [("#a", a), ("#b", b)] {
            let field = client.find(Locator::Css(id)).await?;
            field.clear().await?;
            field.send_keys(value).await?;
        }
        client.find(Locator::Css("#add")).await?.click().await?;
        let shown = format!("//output[@id='result' and normalize-space(.)='{sum}']");
        client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&shown))
            .await?;
    }
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//ul[@id='pushed']/li[2]"))
        .await?;
    // Leave the last numbers in the fields, as a person would have them.
    let png = client.screenshot().await?;
    std::fs::write(&output, png).with_context(|| format!("cannot write {output}"))?;
    println!("wrote {output}");

    browser.close().await;
    shutdown.cancel();
    server.await??;
    Ok(())
}

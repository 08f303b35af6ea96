//! `/push`, the slide's example 2: every line typed on the server's standard
//! input is pushed to every connected page; later pages get only later lines.

mod support;

use support::{connect, next_text, start_server};

#[tokio::test]
async fn a_typed_line_reaches_every_connected_page() {
    let mut server = start_server(&[]);
    let mut pages = Vec::new();
    for _ in 0..3 {
        pages.push(connect(&server, "/push").await);
    }
    server.write_line("Bom dia");
    server.write_line("Olá, páginas!");
    for page in &mut pages {
        assert_eq!(next_text(page).await, "Bom dia");
        assert_eq!(next_text(page).await, "Olá, páginas!");
    }
}

#[tokio::test]
async fn a_page_that_joins_later_gets_only_new_messages() {
    let mut server = start_server(&[]);
    let mut early = connect(&server, "/push").await;
    server.write_line("primeira");
    assert_eq!(next_text(&mut early).await, "primeira");
    // "primeira" has been pushed (the early page has it) before this one joins.
    let mut late = connect(&server, "/push").await;
    server.write_line("segunda");
    assert_eq!(next_text(&mut late).await, "segunda");
    assert_eq!(next_text(&mut early).await, "segunda");
}

#[tokio::test]
async fn the_operator_sees_how_many_pages_got_each_line() {
    let mut server = start_server(&[]);
    server.write_line("ninguém?");
    server.expect_line("> ninguém? (no page is listening)");
    let mut a = connect(&server, "/push").await;
    let mut b = connect(&server, "/push").await;
    server.write_line("vocês dois");
    server.expect_line("> vocês dois (pushed to 2 pages)");
    assert_eq!(next_text(&mut a).await, "vocês dois");
    assert_eq!(next_text(&mut b).await, "vocês dois");
}

#[tokio::test]
async fn a_page_that_leaves_does_not_stop_the_others() {
    let mut server = start_server(&[]);
    let gone = connect(&server, "/push").await;
    let mut stays = connect(&server, "/push").await;
    drop(gone);
    server.write_line("ainda aqui");
    assert_eq!(next_text(&mut stays).await, "ainda aqui");
}

#[tokio::test]
async fn a_line_longer_than_max_message_is_not_pushed() {
    // Each page's write buffer holds one message of at most --max-message.
    let mut server = start_server(&["--max-message", "16"]);
    let mut page = connect(&server, "/push").await;
    server.write_line("uma linha longa demais para o limite");
    server.write_line("curta");
    server.expect_line("> curta (pushed to 1 page)");
    assert_eq!(next_text(&mut page).await, "curta");
    drop(page);
    server.interrupt();
    let done = server.finish();
    assert!(
        done.stderr.contains("not pushed"),
        "the operator is told: {}",
        done.stderr
    );
}

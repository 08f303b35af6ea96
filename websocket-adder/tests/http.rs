//! One port, two protocols: the page over plain HTTP, and WebSockets that
//! begin as HTTP requests asking to upgrade.

mod support;

use support::{RFC_ACCEPT, RawWs, TEXT, http_get, start_server};

#[test]
fn the_page_is_served_at_the_root() {
    let server = start_server(&[]);
    let (status, headers, body) = http_get(&server, "/");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(
        headers.iter().any(|h| h
            .to_ascii_lowercase()
            .starts_with("content-type: text/html")),
        "{headers:?}"
    );
    for needle in [
        "<input id=\"a\"",
        "<input id=\"b\"",
        "id=\"add\"",
        "id=\"result\"",
        "id=\"history\"",
        "id=\"pushed\"",
        "id=\"status\"",
        "\"/add\"",
        "\"/push\"",
    ] {
        assert!(body.contains(needle), "the page lacks {needle}");
    }
}

#[test]
fn the_upgrade_handshake_answers_the_rfc_example_key() {
    let server = start_server(&[]);
    let raw = RawWs::connect(&server, "/add");
    assert_eq!(raw.response[0], "HTTP/1.1 101 Switching Protocols");
    assert_eq!(raw.header("Sec-WebSocket-Accept"), Some(RFC_ACCEPT));
    assert!(
        raw.header("Upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket")),
        "{:?}",
        raw.response
    );
}

#[test]
fn the_page_and_the_websocket_share_one_port() {
    let server = start_server(&[]);
    let (status, _, _) = http_get(&server, "/");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut raw = RawWs::connect(&server, "/add");
    raw.send_frame(TEXT, b"20 22");
    assert_eq!(raw.read_text(), "42");
}

#[test]
fn a_websocket_path_asked_without_upgrade_is_refused() {
    let server = start_server(&[]);
    for path in ["/add", "/hello", "/push"] {
        let (status, _, body) = http_get(&server, path);
        assert!(status.starts_with("HTTP/1.1 4"), "{path}: {status}");
        assert!(!body.contains("<html"), "{path} served a page");
    }
}

#[test]
fn an_unknown_path_is_not_found() {
    let server = start_server(&[]);
    let (status, _, _) = http_get(&server, "/nada");
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
}

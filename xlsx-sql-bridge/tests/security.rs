//! The security fix over the paper's design: the converter opens no path
//! that came over the network, resolves only ids it handed out, and deletes
//! every upload once converted, whether the conversion worked or not.

mod support;

use serde_json::json;
use support::testing::file_names;
use support::{Bridge, converter_convert, converter_upload, fixtures, http};

#[test]
fn a_path_sent_to_the_converter_is_refused() {
    let bridge = Bridge::start(&[]);
    // The paper's request: the path of a file to read.
    let answer = converter_convert(&bridge.converter_url(), json!({"path": "/etc/passwd"}));
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.error().contains("path"), "{}", answer.error());
    assert!(
        !answer.body.contains("root:"),
        "the file was read: {}",
        answer.body
    );
}

#[test]
fn an_upload_id_that_is_a_path_is_refused() {
    let bridge = Bridge::start(&[]);
    for id in [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "0123456789abcdef0123456789abcdef/../../etc/passwd",
    ] {
        let answer = converter_convert(&bridge.converter_url(), json!({"upload_id": id}));
        assert_eq!(answer.status, 400, "{id}: {}", answer.body);
        assert!(!answer.body.contains("root:"), "{id}: {}", answer.body);
    }
}

#[test]
fn an_id_the_converter_did_not_hand_out_is_404() {
    let bridge = Bridge::start(&[]);
    let answer = converter_convert(
        &bridge.converter_url(),
        json!({"upload_id": "0123456789abcdef0123456789abcdef"}),
    );
    assert_eq!(answer.status, 404, "{}", answer.body);
}

#[test]
fn an_upload_id_converts_once() {
    let bridge = Bridge::start(&[]);
    let converter = bridge.converter_url();
    let id = converter_upload(&converter, &fixtures::animals());
    let first = converter_convert(
        &converter,
        json!({"upload_id": id, "file_name": "animals.xlsx"}),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("INSERT INTO Table_Animals"));
    let again = converter_convert(&converter, json!({"upload_id": id}));
    assert_eq!(again.status, 404, "{}", again.body);
}

#[test]
fn uploads_are_deleted_after_a_conversion() {
    let dir = tempfile::tempdir().expect("a directory");
    let uploads = dir.path().to_str().expect("UTF-8");
    let bridge = Bridge::start(&["--upload-dir", uploads]);
    let answer = bridge.upload("animals.xlsx", &fixtures::animals(), &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The whole script has arrived: both services' copies are gone.
    assert_eq!(file_names(dir.path()), Vec::<String>::new());
}

#[test]
fn uploads_are_deleted_when_the_conversion_fails() {
    let dir = tempfile::tempdir().expect("a directory");
    let uploads = dir.path().to_str().expect("UTF-8");
    let bridge = Bridge::start(&["--upload-dir", uploads]);
    let answer = bridge.upload("notas.xlsx", b"isto nao e uma planilha\n", &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(file_names(dir.path()), Vec::<String>::new());
    let truncated = fixtures::animals();
    let answer = bridge.upload("animals.xlsx", &truncated[..truncated.len() / 2], &[]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(file_names(dir.path()), Vec::<String>::new());
}

#[test]
fn the_converter_keeps_an_upload_only_until_it_is_converted_or_forgotten() {
    let dir = tempfile::tempdir().expect("a directory");
    let uploads = dir.path().to_str().expect("UTF-8");
    let bridge = Bridge::start(&["--upload-dir", uploads]);
    let converter = bridge.converter_url();
    let id = converter_upload(&converter, &fixtures::animals());
    let stored = file_names(dir.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        !stored[0].contains(&id),
        "the file's name is not the id: {stored:?}"
    );
    let forgotten = http()
        .delete(format!("{converter}/uploads/{id}"))
        .send()
        .expect("DELETE");
    assert_eq!(forgotten.status().as_u16(), 204);
    assert_eq!(file_names(dir.path()), Vec::<String>::new());
    let again = converter_convert(&converter, json!({"upload_id": id}));
    assert_eq!(again.status, 404, "{}", again.body);
}

#[test]
fn an_upload_nobody_converts_expires() {
    let dir = tempfile::tempdir().expect("a directory");
    let uploads = dir.path().to_str().expect("UTF-8");
    let bridge = Bridge::start(&["--upload-dir", uploads, "--upload-ttl", "1"]);
    let id = converter_upload(&bridge.converter_url(), &fixtures::animals());
    assert_eq!(file_names(dir.path()).len(), 1);
    // The sweeper runs on its own; wait (bounded) for it to delete the file.
    let deadline = std::time::Instant::now() + support::testing::timeout();
    while !file_names(dir.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never expired"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let answer = converter_convert(&bridge.converter_url(), json!({"upload_id": id}));
    assert_eq!(answer.status, 404, "{}", answer.body);
}

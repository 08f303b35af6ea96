//! `--transport unix`: the same protocols over a Unix domain socket.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use support::testing::{Program, timeout};
use support::{client, server};
use tempfile::tempdir;

fn socket_path(dir: &Path) -> PathBuf {
    dir.join("chat.sock")
}

fn start_unix(path: &Path, mode: &str) -> Program {
    let path = path.to_str().expect("utf-8 temp path");
    server().start_server(&["--mode", mode, "--transport", "unix", "--path", path])
}

fn echo_once(path: &Path, line: &str) -> String {
    let stream = UnixStream::connect(path).expect("connect to the unix socket");
    stream.set_read_timeout(Some(timeout())).expect("timeout");
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(format!("{line}\n").as_bytes())
        .expect("send");
    let mut reply = String::new();
    reader.read_line(&mut reply).expect("reply");
    reply.trim_end().to_owned()
}

#[test]
fn echo_works_over_a_unix_socket() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let server = start_unix(&path, "echo");
    assert_eq!(server.addr(), path.to_str().expect("utf-8"));
    assert_eq!(echo_once(&path, "Olá"), "Eco=>Olá");
}

#[test]
fn the_slides_client_is_answered_over_a_unix_socket() {
    // No newline, then wait for the answer: the first read decides the
    // framing on a Unix socket as on TCP.
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let _server = start_unix(&path, "echo");
    let mut stream = UnixStream::connect(&path).expect("connect to the unix socket");
    stream.set_read_timeout(Some(timeout())).expect("timeout");
    stream.write_all("Olá".as_bytes()).expect("send");
    let mut reply = vec![0; "Eco=>Olá".len()];
    stream.read_exact(&mut reply).expect("the reply");
    assert_eq!(reply, "Eco=>Olá".as_bytes());
}

#[test]
fn upper_works_over_a_unix_socket() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let _server = start_unix(&path, "upper");
    assert_eq!(echo_once(&path, "Olá"), "OLÁ");
}

#[test]
fn the_socket_file_is_removed_on_exit() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let server = start_unix(&path, "echo");
    assert!(path.exists());
    server.terminate();
    let done = server.finish();
    assert!(done.status.success(), "stderr: {}", done.stderr);
    assert!(!path.exists(), "the socket file was left behind");
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    // A server that crashed leaves its socket file behind, with nobody listening.
    drop(UnixListener::bind(&path).expect("bind"));
    assert!(path.exists());
    let _server = start_unix(&path, "echo");
    assert_eq!(echo_once(&path, "de novo"), "Eco=>de novo");
}

#[test]
fn a_file_that_is_not_a_socket_is_never_replaced() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    std::fs::write(&path, "the user's data").expect("write");
    let p = path.to_str().expect("utf-8");
    let program = server().spawn(&["--mode", "echo", "--transport", "unix", "--path", p]);
    let done = program.finish();
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    assert!(
        done.stderr.contains("not a socket"),
        "stderr: {}",
        done.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "the user's data"
    );
}

#[test]
fn a_live_server_is_not_displaced() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let _first = start_unix(&path, "echo");
    let p = path.to_str().expect("utf-8");
    let second = server().spawn(&["--mode", "upper", "--transport", "unix", "--path", p]);
    let done = second.finish();
    assert_eq!(done.status.code(), Some(1), "stderr: {}", done.stderr);
    assert!(
        done.stderr.contains("another server"),
        "stderr: {}",
        done.stderr
    );
    assert_eq!(echo_once(&path, "ainda eu"), "Eco=>ainda eu");
}

#[test]
fn the_chat_works_over_a_unix_socket() {
    let dir = tempdir().expect("a temp dir");
    let path = socket_path(dir.path());
    let mut server = start_unix(&path, "chat");
    let p = path.to_str().expect("utf-8");
    let mut ours = client().spawn(&["--transport", "unix", "--path", p]);
    ours.write_line("Olá, servidor");
    server.expect_line("Cliente enviou: Olá, servidor");
    server.write_line("Olá, cliente");
    assert_eq!(ours.next_line(), "Olá, cliente");
}

#[test]
fn a_socket_file_that_does_not_exist_is_one_line_with_each_reason_once() {
    let dir = tempdir().expect("temp dir");
    let path = socket_path(dir.path());
    let missing = UnixStream::connect(&path).expect_err("no such file");
    let path = path.to_str().expect("utf-8 temp path");
    let done = client()
        .spawn(&["--mode", "echo", "--transport", "unix", "--path", path])
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(done.stdout.is_empty(), "stdout: {:?}", done.stdout);
    assert_eq!(
        done.stderr,
        format!("error: cannot connect to {path}: {missing} (is the server running?)\n")
    );
}

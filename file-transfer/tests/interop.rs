//! The slide's Python programs, written from the slides, against ours.
//! Python 3, standard library only.
//!
//! The only changes to the slides' code: the port and the file names come
//! from the command line (the tests use free ports and temporary
//! directories), the server prints `listening on` once bound, and the
//! output is flushed so the test sees it as it happens.

mod support;

use support::testing::{Program, run_python, spawn_python};
use support::{PASSWORD, content, cutting_relay, ok, run_client, server, sha256_hex};

/// Slide "File Transfer - Exercício de implementação", Server.py.
const SLIDE_SERVER: &str = r#"
import socket, sys
port = 0
s = socket.socket()
host = 'localhost'
s.bind((host, port))
s.listen(1)
print('listening on %s:%d' % s.getsockname(), flush=True)
while True:
    conn, addr = s.accept()
    print ('Conectado por:', addr, flush=True)
    filename=sys.argv[1]
    f = open(filename,'rb')
    l = f.read(1024*16)
    while (l):
        conn.send(l)
        l = f.read(1024*16)
    f.close()
    print('Envio completo', flush=True)
    conn.close()
    print('Conexão fechada', flush=True)
"#;

/// Slide "File Transfer - Exercício de implementação", Client.py.
const SLIDE_CLIENT: &str = r#"
import socket, sys
s = socket.socket()
host = 'localhost'
port = int(sys.argv[1])
s.connect((host, port))
with open(sys.argv[2], 'wb') as f:
    print ('Arquivo Aberto')
    while True:
        print('Recebendo dados...')
        data = s.recv(1024*16)
        if not data:
            break
        f.write(data)
    f.close()
    print('Transferência realizada com sucesso')
    s.close()
    print('Conexão fechada')
"#;

fn port(addr: &str) -> String {
    addr.rsplit(':').next().expect("a port").to_owned()
}

#[test]
fn the_slides_client_receives_the_file_intact_from_our_raw_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = content(1_000_003, 1);
    let source = dir.path().join("teste.xlsx");
    std::fs::write(&source, &data).expect("write");
    let mut ours = server().start_server(&[
        "--listen",
        "127.0.0.1:0",
        "--raw",
        source.to_str().expect("utf-8"),
    ]);
    let dest = dir.path().join("recebido.xlsx");
    let done = run_python(
        SLIDE_CLIENT,
        &[&port(ours.addr()), dest.to_str().expect("utf-8")],
        "",
    );
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout.first().map(String::as_str),
        Some("Arquivo Aberto")
    );
    assert_eq!(
        &done.stdout[done.stdout.len() - 2..],
        ["Transferência realizada com sucesso", "Conexão fechada"]
    );
    assert!(std::fs::read(&dest).expect("the received file") == data);
    ours.line_containing("Conectado por:");
    ours.expect_line("Envio completo");
    ours.expect_line("Conexão fechada");
}

/// The slides' `Server.py`, listening, sending `data` to each client (its
/// file lives in the returned directory).
fn slides_server_sending(data: &[u8]) -> (tempfile::TempDir, Program) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("teste.xlsx");
    std::fs::write(&source, data).expect("write");
    let mut python = spawn_python(SLIDE_SERVER, &[source.to_str().expect("utf-8")]);
    python.wait_listening();
    (dir, python)
}

#[test]
fn our_raw_client_receives_the_file_intact_from_the_slides_server() {
    let data = content(777_777, 2);
    let (_dir, mut python) = slides_server_sending(&data);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(run_client(
        python.addr(),
        here.path(),
        &["get", "--raw", "FT_teste.xlsx", "FT_arquivo_recebido.xlsx"],
        "",
    ));
    // A plain copy: the size, no digest unless asked for.
    assert_eq!(
        lines,
        [format!(
            "received FT_arquivo_recebido.xlsx: {} bytes",
            data.len()
        )]
    );
    let got = std::fs::read(here.path().join("FT_arquivo_recebido.xlsx")).expect("read");
    assert!(got == data);
    python.line_containing("Conectado por:");
    python.expect_line("Envio completo");
}

#[test]
fn our_raw_client_shows_the_sha256_of_what_arrived_when_asked() {
    let data = content(654_321, 5);
    let (_dir, python) = slides_server_sending(&data);
    let here = tempfile::tempdir().expect("tempdir");
    let lines = ok(run_client(
        python.addr(),
        here.path(),
        &["get", "--raw", "--sha256", "FT_teste.xlsx", "copia.xlsx"],
        "",
    ));
    assert_eq!(
        lines,
        [format!(
            "received copia.xlsx: {} bytes, sha256 {}",
            data.len(),
            sha256_hex(&data)
        )]
    );
    assert!(std::fs::read(here.path().join("copia.xlsx")).expect("read") == data);
}

#[test]
fn the_slides_client_cannot_tell_a_broken_transfer_from_a_finished_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = content(1_000_000, 3);
    let source = dir.path().join("teste.xlsx");
    std::fs::write(&source, &data).expect("write");
    let ours = server().start_server(&[
        "--listen",
        "127.0.0.1:0",
        "--raw",
        source.to_str().expect("utf-8"),
    ]);
    // The connection breaks after 300 kB.
    let (relay, relaying) = cutting_relay(ours.addr(), 300_000);
    let dest = dir.path().join("recebido.xlsx");
    let done = run_python(
        SLIDE_CLIENT,
        &[&port(&relay), dest.to_str().expect("utf-8")],
        "",
    );
    relaying.join().expect("the relay");
    // It says it succeeded, and keeps a cut file under the real name.
    assert!(done.status.success(), "{}", done.stderr);
    assert!(
        done.stdout
            .contains(&"Transferência realizada com sucesso".to_owned())
    );
    let got = std::fs::read(&dest).expect("the received file");
    assert_eq!(got.len(), 300_000, "the file is cut, and nothing said so");
    // Our framed protocol in the same situation: see tests/resume.rs,
    // a_broken_download_says_so_keeps_the_part_and_resumes.
}

#[test]
fn our_framed_client_explains_that_the_slides_server_is_raw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("teste.xlsx");
    std::fs::write(&source, content(50_000, 4)).expect("write");
    let mut python = spawn_python(SLIDE_SERVER, &[source.to_str().expect("utf-8")]);
    let addr = python.wait_listening().to_owned();
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&addr, here.path(), &["ls"], PASSWORD);
    support::failed(&done, "use get --raw");
}

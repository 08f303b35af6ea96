//! Many clients at once, and clients that misbehave: the server answers each
//! correctly, refuses bad input with a reason, and keeps serving the others.

mod support;

use std::io::Write;
use std::thread;
use support::testing::{Program, peak_rss_kib, rss_kib};
use support::{Raw, assert_still_echoes, can_measure_memory, start_server};

/// A connection whose first read holds a newline, so that the server frames
/// it by lines for its life: what follows is one line however long, not
/// one message per read (the slides' protocol).
fn line_framed(server: &Program) -> Raw {
    let mut raw = Raw::connect(server);
    raw.send_line("Olá");
    assert_eq!(raw.line(), "Eco=>Olá");
    raw
}

#[test]
fn five_hundred_concurrent_connections_are_all_answered() {
    let server = start_server(&["--mode", "echo"]);
    let addr = server.socket_addr();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let answered = runtime.block_on(async move {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        // Open all 500 first, so that they really are open at the same time.
        let mut streams = Vec::new();
        for _ in 0..500 {
            streams.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, stream) in streams.into_iter().enumerate() {
            tasks.spawn(async move {
                let mut stream = BufReader::new(stream);
                for j in 0..3 {
                    let msg = format!("cliente {i} mensagem {j} ção");
                    stream
                        .get_mut()
                        .write_all(format!("{msg}\n").as_bytes())
                        .await
                        .expect("send");
                    let mut reply = String::new();
                    stream.read_line(&mut reply).await.expect("receive");
                    assert_eq!(reply, format!("Eco=>{msg}\n"));
                }
            });
        }
        let mut answered = 0;
        while let Some(done) = tasks.join_next().await {
            done.expect("a client task failed");
            answered += 1;
        }
        answered
    });
    assert_eq!(answered, 500);
}

#[test]
fn invalid_utf8_gets_an_error_and_only_that_connection_closes() {
    let mut server = start_server(&["--mode", "echo"]);
    let mut bystander = Raw::connect(&server);
    bystander.send_line("antes");
    assert_eq!(bystander.line(), "Eco=>antes");

    let mut bad = Raw::connect(&server);
    bad.send(b"ab\xff\xfecd\n");
    let answer = String::from_utf8(bad.rest()).expect("the error is UTF-8");
    assert_eq!(
        answer,
        "error: message is not valid UTF-8 (invalid byte at offset 2)\n"
    );

    bystander.send_line("depois");
    assert_eq!(bystander.line(), "Eco=>depois");
    assert_still_echoes(&mut server);
}

#[test]
fn a_ten_megabyte_line_is_refused_and_the_server_stays_up() {
    let mut server = start_server(&["--mode", "echo"]);
    let mut big = line_framed(&server);
    let mut writer = big.stream().try_clone().expect("clone the stream");
    let sending = thread::spawn(move || {
        // The server may close before we finish: a failed write is expected.
        let _ = writer.write_all(&vec![b'x'; 10 * 1024 * 1024]);
        let _ = writer.write_all(b"\n");
    });
    // The server refuses once 64 KiB have arrived, then reads and discards
    // for a while, so the reason arrives before the close, never a bare reset.
    let answer = String::from_utf8_lossy(&big.rest()).into_owned();
    let refusal = "error: message is longer than the limit of 65536 bytes\n";
    assert!(
        answer == refusal,
        "expected {refusal:?}, got {} bytes: {:?}",
        answer.len(),
        answer.chars().take(80).collect::<String>()
    );
    sending.join().expect("the sender thread");
    assert_still_echoes(&mut server);
}

#[test]
fn the_message_limit_is_configurable() {
    let server = start_server(&["--mode", "echo", "--max-message", "10"]);
    let mut fits = Raw::connect(&server);
    fits.send_line("0123456789");
    assert_eq!(fits.line(), "Eco=>0123456789");
    let mut too_long = Raw::connect(&server);
    too_long.send_line("0123456789X");
    assert_eq!(
        too_long.line(),
        "error: message is longer than the limit of 10 bytes"
    );
}

#[test]
fn memory_stays_bounded_under_huge_messages() {
    if !can_measure_memory("memory_stays_bounded_under_huge_messages") {
        return;
    }
    let mut server = start_server(&["--mode", "echo"]);
    let before = rss_kib(server.pid()).expect("memory figures");
    // Eight clients each try to make the server buffer 10 MB.
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let mut raw = line_framed(&server);
            thread::spawn(move || {
                let _ = raw.stream().write_all(&vec![b'y'; 10 * 1024 * 1024]);
                raw.rest();
            })
        })
        .collect();
    for sender in senders {
        sender.join().expect("a sender thread");
    }
    assert_still_echoes(&mut server);
    let peak = peak_rss_kib(server.pid()).expect("peak memory");
    let growth_mib = peak.saturating_sub(before) / 1024;
    // 80 MB arrived; a server that buffered it would have grown by that much.
    assert!(
        growth_mib < 16,
        "peak memory grew by {growth_mib} MiB while refusing 8 × 10 MB"
    );
}

#[test]
fn a_client_that_leaves_mid_line_does_not_disturb_the_server() {
    let mut server = start_server(&["--mode", "echo"]);
    let mut gone = Raw::connect(&server);
    gone.send(b"metade de uma li");
    drop(gone);
    assert_still_echoes(&mut server);
}

#[test]
fn a_client_that_leaves_mid_frame_does_not_disturb_the_server() {
    let mut server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let mut gone = Raw::connect(&server);
    // A frame that announces 100 bytes and brings 3.
    gone.send(&[100, 1, 2, 3]);
    drop(gone);
    server.assert_running();
    let mut next = Raw::connect(&server);
    next.send_proto("oi");
    assert_eq!(next.proto().text, "Eco=>oi");
}

#[test]
fn a_connection_reset_mid_line_does_not_disturb_the_server() {
    let mut server = start_server(&["--mode", "echo"]);
    let mut raw = Raw::connect(&server);
    raw.send(b"parcial");
    // Linger 0 makes close send a reset (RST) instead of a normal end (FIN).
    socket2::SockRef::from(&*raw.stream())
        .set_linger(Some(std::time::Duration::ZERO))
        .expect("set linger");
    drop(raw);
    assert_still_echoes(&mut server);
}

#[test]
fn ctrl_c_stops_the_server_cleanly_with_clients_connected() {
    let server = start_server(&["--mode", "echo"]);
    let mut open = Raw::connect(&server);
    open.send_line("oi");
    assert_eq!(open.line(), "Eco=>oi");
    server.interrupt();
    // The connection is closed by the server, not left hanging.
    assert!(open.rest().is_empty());
    let done = server.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
    assert!(!done.stderr.contains("panicked"), "stderr: {}", done.stderr);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = start_server(&["--mode", "echo"]);
    server.terminate();
    let done = server.finish();
    assert!(
        done.status.success(),
        "exit: {:?}, stderr: {}",
        done.status,
        done.stderr
    );
}

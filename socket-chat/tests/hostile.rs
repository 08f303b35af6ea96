//! Hostile clients: the server holds against clients that connect too
//! often, say nothing, send half a message, flood the chat's waiting room,
//! smuggle control characters into the transcript, or against a stdout that
//! nobody reads. Each test checks that the offender is told and cut off, and
//! that everybody else is still served.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use support::testing::hostile::{open_stalled, unread_on_server_side, wait_until_read};
use support::testing::{Program, peak_rss_kib, require, rss_kib, timeout};
use support::{
    Raw, assert_still_echoes, can_measure_memory, connect_and_wait_for_desk, server, start_server,
};

/// Seconds of `--timeout` in the tests of silence: short, so that each test
/// takes a few seconds.
const SHORT_TIMEOUT: &str = "1";

/// How long a connection may take to be told and closed after
/// `SHORT_TIMEOUT`: the timeout itself and a generous margin for a loaded
/// machine.
const CUT_WITHIN: Duration = Duration::from_secs(5);

/// The start of a length-delimited frame: a prefix announcing `announced`
/// bytes, then the first `sent` of them.
fn partial_frame(announced: usize, sent: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    prost::encoding::encode_varint(announced as u64, &mut bytes);
    bytes.resize(bytes.len() + sent, b'z');
    bytes
}

/// Read the server's `error: ...` line, then its close, within `CUT_WITHIN`.
#[track_caller]
fn assert_told_and_closed(raw: &mut Raw, started: Instant) -> String {
    let told = raw.line();
    assert!(told.starts_with("error: "), "not an error: {told:?}");
    assert!(raw.rest().is_empty(), "more after the error");
    let took = started.elapsed();
    assert!(took < CUT_WITHIN, "closed only after {took:?}");
    told
}

/// A client that keeps asking for echoes, until stopped, on its own thread;
/// joining it says how many replies it got.
fn bystander(server: &Program) -> (Arc<AtomicBool>, thread::JoinHandle<usize>) {
    let mut raw = Raw::connect(server);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let talking = thread::spawn(move || {
        let mut served = 0;
        while !stopped.load(Ordering::Relaxed) {
            raw.send_line(&format!("ping {served}"));
            assert_eq!(raw.line(), format!("Eco=>ping {served}"));
            served += 1;
            // Pacing, not synchronisation: a person types now and then.
            thread::sleep(Duration::from_millis(20));
        }
        served
    });
    (stop, talking)
}

// ---------------------------------------------------------------- the cap

#[test]
fn a_connection_over_the_cap_is_told_busy_and_closed_while_the_others_are_served() {
    let server = start_server(&["--mode", "echo", "--max-connections", "2"]);
    let mut first = Raw::connect(&server);
    first.send_line("um");
    assert_eq!(first.line(), "Eco=>um");
    let mut second = Raw::connect(&server);
    second.send_line("dois");
    assert_eq!(second.line(), "Eco=>dois");

    let mut third = Raw::connect(&server);
    let busy = third.line();
    assert!(
        busy.starts_with("error: ") && busy.contains("connection limit"),
        "got {busy:?}"
    );
    assert!(third.rest().is_empty(), "closed after the error");

    first.send_line("ainda");
    assert_eq!(first.line(), "Eco=>ainda");
    second.send_line("aqui");
    assert_eq!(second.line(), "Eco=>aqui");
}

#[test]
fn over_the_cap_the_busy_error_is_a_protobuf_frame_in_proto() {
    let server = start_server(&[
        "--mode",
        "echo",
        "--codec",
        "proto",
        "--max-connections",
        "1",
    ]);
    let mut first = Raw::connect(&server);
    first.send_proto("oi");
    assert_eq!(first.proto().text, "Eco=>oi");
    let mut second = Raw::connect(&server);
    let busy = second.proto();
    assert_eq!(busy.sender, "server");
    assert!(
        busy.text.starts_with("error: ") && busy.text.contains("connection limit"),
        "got {busy:?}"
    );
    assert!(second.rest().is_empty(), "closed after the error");
}

// ---------------------------------------------------------------- silence

#[test]
fn a_connection_that_sends_nothing_is_told_and_closed_while_another_is_served() {
    let mut server = start_server(&["--mode", "echo", "--timeout", SHORT_TIMEOUT]);
    let (stop, talking) = bystander(&server);
    let started = Instant::now();
    let mut silent = Raw::connect(&server);
    assert_told_and_closed(&mut silent, started);
    stop.store(true, Ordering::Relaxed);
    let served = talking.join().expect("the bystander was served throughout");
    assert!(served > 0);
    assert_still_echoes(&mut server);
}

#[test]
fn half_a_protobuf_frame_is_told_and_closed_while_another_is_served() {
    let server = start_server(&[
        "--mode",
        "echo",
        "--codec",
        "proto",
        "--timeout",
        SHORT_TIMEOUT,
    ]);
    let mut half = Raw::connect(&server);
    let started = Instant::now();
    half.send(&partial_frame(100, 40));
    let mut other = Raw::connect(&server);
    other.send_proto("oi");
    assert_eq!(other.proto().text, "Eco=>oi");

    let told = half.proto();
    assert!(told.text.starts_with("error: "), "got {told:?}");
    assert!(half.rest().is_empty(), "closed after the error");
    assert!(
        started.elapsed() < CUT_WITHIN,
        "took {:?}",
        started.elapsed()
    );
    let mut next = Raw::connect(&server);
    next.send_proto("ainda");
    assert_eq!(next.proto().text, "Eco=>ainda");
}

#[test]
fn an_echo_client_silent_after_its_messages_is_told_and_closed() {
    let server = start_server(&["--mode", "echo", "--timeout", SHORT_TIMEOUT]);
    let mut raw = Raw::connect(&server);
    raw.send_line("Olá");
    assert_eq!(raw.line(), "Eco=>Olá");
    let started = Instant::now();
    assert_told_and_closed(&mut raw, started);
}

#[test]
fn a_chat_client_that_never_speaks_is_told_and_closed() {
    let mut server = start_server(&["--timeout", SHORT_TIMEOUT]);
    let started = Instant::now();
    let mut mute = connect_and_wait_for_desk(&mut server);
    assert_told_and_closed(&mut mute, started);
    // The operator is free again for the next client.
    let mut next = connect_and_wait_for_desk(&mut server);
    next.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
}

/// Nothing arrives on `raw`, and it is not closed, for `quiet` (longer than
/// the server's timeout).
#[track_caller]
fn assert_left_open(raw: &mut Raw, quiet: Duration) {
    raw.stream()
        .set_read_timeout(Some(quiet))
        .expect("set a read timeout");
    let mut byte = [0u8; 1];
    match raw.stream().read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("the server spoke or closed: {other:?}"),
    }
    raw.stream()
        .set_read_timeout(Some(timeout()))
        .expect("set a read timeout");
}

#[test]
fn once_chatting_silence_is_not_cut() {
    // The conversation is paced by two people: the timeout applies before
    // the client's first message only.
    let mut server = start_server(&["--timeout", SHORT_TIMEOUT]);
    let mut raw = connect_and_wait_for_desk(&mut server);
    raw.send_line("Olá");
    server.expect_line("Cliente enviou: Olá");
    assert_left_open(&mut raw, Duration::from_millis(2500));
    server.write_line("desculpe a demora");
    assert_eq!(raw.line(), "desculpe a demora");
    raw.send_line("sem problema");
    server.expect_line("Cliente enviou: sem problema");
}

#[test]
fn a_client_waiting_in_line_is_not_cut_by_the_timeout() {
    let mut server = start_server(&["--timeout", SHORT_TIMEOUT]);
    let mut first = connect_and_wait_for_desk(&mut server);
    first.send_line("primeiro");
    server.expect_line("Cliente enviou: primeiro");
    let mut second = Raw::connect(&server);
    assert!(second.line().contains("number 1 in line"));
    // It waits for us, not we for it.
    assert_left_open(&mut second, Duration::from_millis(2500));
    first.finish();
    assert_eq!(second.line(), "* the operator is ready; go ahead");
    second.send_line("segundo");
    server.expect_line("Cliente enviou: segundo");
}

// ---------------------------------------------------------------- memory

/// What a frame header announces in the memory test, and how much of the
/// body follows it. 60 KiB announced, 16 KiB sent: four times the 4 KiB a
/// connection's buffer starts with, so every buffer has to grow as for a
/// real message, and the 32 MiB really sent leave half the limit for
/// everything else 2,000 connections cost. With these figures the server
/// measured +42 MiB; the same server reserving the announced length up front
/// measured +73 MiB (reserved memory ends up touched as buffers are
/// reallocated and reused), and failed. With 8 KiB sent, both passed.
const ANNOUNCED: usize = 60 * 1024;
const SENT: usize = 16 * 1024;
const STALLED: usize = 2000;
const MEMORY_LIMIT_MIB: u64 = 64;

#[test]
fn two_thousand_half_sent_frames_cost_less_than_64_mib() {
    let test = "two_thousand_half_sent_frames_cost_less_than_64_mib";
    if !can_measure_memory(test)
        || !require(
            test,
            unread_on_server_side(0).is_some(),
            "no /proc/net/tcp on this system",
        )
    {
        return;
    }
    let mut server = start_server(&[
        "--mode",
        "echo",
        "--codec",
        "proto",
        "--max-connections",
        "4096",
    ]);
    let addr = server.socket_addr();
    let mut warm = Raw::connect(&server);
    warm.send_proto("antes");
    assert_eq!(warm.proto().text, "Eco=>antes");
    let before = rss_kib(server.pid()).expect("memory figures");

    let mut stalled = open_stalled(addr, STALLED, &partial_frame(ANNOUNCED, SENT));
    assert_eq!(stalled.refused, 0, "connections refused at once");
    wait_until_read(addr, STALLED);
    let peak = peak_rss_kib(server.pid()).expect("peak memory");
    let growth_mib = peak.saturating_sub(before) / 1024;

    let mut normal = Raw::connect(&server);
    normal.send_proto("depois");
    assert_eq!(normal.proto().text, "Eco=>depois");
    assert_eq!(
        stalled.closed_within(Duration::from_millis(100)),
        0,
        "every stalled connection was held (none refused)"
    );
    server.assert_running();
    assert!(
        growth_mib < MEMORY_LIMIT_MIB,
        "{STALLED} connections with {SENT} of {ANNOUNCED} bytes of a frame took the \
         server from {before} KiB to a peak of {peak} KiB (+{growth_mib} MiB)"
    );
}

// ---------------------------------------------------------------- the waiting room

/// What a waiting client sends in the waiting-room tests: more than the
/// room keeps for it.
fn flood_line(i: usize) -> String {
    format!("{i:02} {}", "y".repeat(1000))
}
const FLOOD_LINES: usize = 32;

#[test]
fn a_waiting_client_over_its_budget_is_told_and_served_in_turn() {
    let mut server = start_server(&[]);
    let mut first = connect_and_wait_for_desk(&mut server);
    first.send_line("sou o primeiro");
    server.expect_line("Cliente enviou: sou o primeiro");

    let mut second = Raw::connect(&server);
    assert!(second.line().contains("number 1 in line"));
    for i in 0..FLOOD_LINES {
        second.send_line(&flood_line(i));
    }
    let full = second.line();
    assert!(
        full.starts_with("* ") && full.contains("full"),
        "not told the waiting room is full: {full:?}"
    );

    first.finish();
    assert_eq!(second.line(), "* the operator is ready; go ahead");
    // Nothing was lost: what did not fit waited in the network.
    for i in 0..FLOOD_LINES {
        server.line_containing(&format!("Cliente enviou: {i:02} yyy"));
    }
    server.write_line("bem-vindo");
    assert_eq!(second.line(), "bem-vindo");
}

/// Clients in the waiting room, each trying to make the server keep
/// 64 messages of 60 KiB (as much as the old limit of 64 messages allowed).
const WAITERS: usize = 16;
const WAITER_MESSAGES: usize = 64;
const WAITER_MESSAGE: usize = 60 * 1024;
const WAITING_ROOM_LIMIT_MIB: u64 = 16;

#[test]
fn the_waiting_room_keeps_a_bounded_amount_per_client() {
    if !can_measure_memory("the_waiting_room_keeps_a_bounded_amount_per_client") {
        return;
    }
    let mut server = start_server(&[]);
    let mut first = connect_and_wait_for_desk(&mut server);
    first.send_line("sou o primeiro");
    server.expect_line("Cliente enviou: sou o primeiro");
    let before = rss_kib(server.pid()).expect("memory figures");

    // Each waiter reports the first line the server sends it (the "full"
    // notice), and its writer when everything was sent.
    let (told, notices) = mpsc::channel::<String>();
    let (sent, finished) = mpsc::channel::<()>();
    let mut closers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..WAITERS {
        let mut waiter = Raw::connect(&server);
        assert!(waiter.line().contains("in line"));
        let mut writer = waiter.stream().try_clone().expect("clone the stream");
        closers.push(writer.try_clone().expect("clone the stream"));
        let sent = sent.clone();
        writers.push(thread::spawn(move || {
            let line = format!("{}\n", "z".repeat(WAITER_MESSAGE - 1));
            for _ in 0..WAITER_MESSAGES {
                if writer.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
            let _ = sent.send(());
        }));
        let told = told.clone();
        thread::spawn(move || {
            let _ = told.send(waiter.line());
        });
    }
    // Measure once every waiter is told, or (a server that keeps everything)
    // once every message is sent and read.
    let port = server.socket_addr().port();
    let deadline = Instant::now() + timeout();
    let mut notices_seen = Vec::new();
    let mut all_sent = 0;
    loop {
        notices_seen.extend(notices.try_iter());
        all_sent += finished.try_iter().count();
        if notices_seen.len() == WAITERS {
            break;
        }
        if all_sent == WAITERS && unread_on_server_side(port).is_some_and(|(unread, _)| unread == 0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {WAITERS} waiters told, {all_sent} sent everything",
            notices_seen.len()
        );
        thread::sleep(Duration::from_millis(20));
    }
    let peak = peak_rss_kib(server.pid()).expect("peak memory");
    let growth_mib = peak.saturating_sub(before) / 1024;
    assert!(
        growth_mib < WAITING_ROOM_LIMIT_MIB,
        "{WAITERS} waiting clients took the server from {before} KiB to {peak} KiB \
         (+{growth_mib} MiB)"
    );
    assert_eq!(notices_seen.len(), WAITERS, "every waiter is told");
    for notice in &notices_seen {
        assert!(
            notice.starts_with("* ") && notice.contains("full"),
            "got {notice:?}"
        );
    }
    server.assert_running();
    // The writers still blocked end when their sockets are shut down.
    for closer in closers {
        let _ = closer.shutdown(std::net::Shutdown::Both);
    }
    for writer in writers {
        writer.join().expect("a writer thread");
    }
}

// ---------------------------------------------------------------- stdout nobody reads

/// Exchange `lines` echo round trips on each of two clients at once, with
/// lines long enough (over 100 bytes of transcript each) that the transcript
/// overflows the 64 KiB pipe many times over.
#[track_caller]
fn two_clients_exchange(server: &Program, lines: usize) {
    let talkers: Vec<_> = (0..2)
        .map(|c| {
            let mut raw = Raw::connect(server);
            thread::spawn(move || {
                for i in 0..lines {
                    let message = format!("cliente {c} mensagem {i} {}", "x".repeat(80));
                    raw.send_line(&message);
                    assert_eq!(raw.line(), format!("Eco=>{message}"));
                }
            })
        })
        .collect();
    for talker in talkers {
        talker.join().expect("every reply arrived");
    }
}

#[test]
fn a_stalled_stdout_neither_stops_service_nor_sigterm() {
    let mut server = start_server(&["--mode", "echo"]);
    server.pause_stdout();
    two_clients_exchange(&server, 2000);
    let mut open = Raw::connect(&server);
    open.send_line("ainda aqui");
    assert_eq!(open.line(), "Eco=>ainda aqui");

    let asked = Instant::now();
    server.terminate();
    let deadline = asked + Duration::from_secs(4);
    while server.is_running() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !server.is_running(),
        "still running {:?} after SIGTERM, stdout paused",
        asked.elapsed()
    );
    let done = server.finish();
    assert!(done.status.success(), "exit: {:?}", done.status);
}

#[test]
fn lines_dropped_while_stdout_stalled_are_counted_once_it_drains() {
    let mut server = start_server(&["--mode", "echo"]);
    server.pause_stdout();
    // More transcript than the server's queue (256 KiB) and the pipe
    // (64 KiB) hold together: 8,000 lines of about 125 bytes.
    two_clients_exchange(&server, 4000);
    server.resume_stdout();
    let notice = server.line_where("`N transcript lines dropped`", |l| {
        l.strip_suffix(" transcript lines dropped")
            .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0))
    });
    assert!(!notice.is_empty());
    assert_still_echoes(&mut server);
}

// ---------------------------------------------------------------- injection

/// What a hostile client sends to forge a transcript line and recolour the
/// operator's terminal: a newline (a protobuf text may hold one) and ESC.
const FORGED: &str = "oi\nCliente enviou: sou o operador\x1b[31m";
const FORGED_SHOWN: &str = "oi\\nCliente enviou: sou o operador\\x1b[31m";

#[test]
fn peer_text_is_escaped_in_the_transcript() {
    let mut server = start_server(&["--mode", "echo", "--codec", "proto"]);
    let mut raw = Raw::connect(&server);
    raw.send_proto(FORGED);
    assert_eq!(
        raw.proto().text,
        format!("Eco=>{FORGED}"),
        "the reply is intact"
    );
    let line = server.line_containing("Cliente enviou: oi");
    assert_eq!(line, format!("Cliente enviou: {FORGED_SHOWN}"));
    raw.send_proto("fim");
    assert_eq!(raw.proto().text, "Eco=>fim");
    server.expect_line("Cliente enviou: fim");
    let seen = server.consumed();
    assert!(
        !seen.iter().any(|l| l.contains('\x1b')),
        "a raw ESC: {seen:?}"
    );
    assert!(
        !seen.iter().any(|l| l == "Cliente enviou: sou o operador"),
        "a forged line: {seen:?}"
    );
}

#[test]
fn peer_text_is_escaped_in_the_logs() {
    let launcher = server();
    let mut server = launcher.spawn_with(
        &[
            "--listen",
            "127.0.0.1:0",
            "--mode",
            "chat",
            "--codec",
            "proto",
        ],
        |cmd| {
            cmd.env("RUST_LOG", "debug");
        },
    );
    server.wait_listening();
    let mut raw = Raw::connect(&server);
    server.line_containing("the client speaks first");
    raw.send(&support::frame(FORGED, FORGED));
    server.line_containing("Cliente enviou: oi");
    let deadline = Instant::now() + timeout();
    while !server.stderr().contains("sou o operador") && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let logs = server.stderr();
    assert!(
        logs.contains(FORGED_SHOWN),
        "the sender is logged, escaped: {logs}"
    );
    assert!(!logs.contains('\x1b'), "a raw ESC in the logs: {logs:?}");
    assert!(
        !logs.lines().any(|l| l.starts_with("Cliente enviou")),
        "a forged log line: {logs}"
    );
}

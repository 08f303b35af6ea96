//! Login: challenge-response, refusals, slowed failures, accounts.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use support::proto::{self, Message, code};
use support::testing::Finished;
use support::{PASSWORD, Served, USER, Wire, ok, python_client, run_client};

#[test]
fn a_wrong_password_is_refused_and_the_server_keeps_serving() {
    let served = Served::start_with(&[("a.txt", b"a")], &[]);
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&served.addr(), here.path(), &["ls"], "errada");
    support::failed(&done, "login failed");
    assert!(done.stdout.is_empty());
    let lines = ok(served.client(here.path(), &["ls"]));
    assert_eq!(lines.len(), 1);
}

#[test]
fn an_unknown_user_gets_the_same_answer_as_a_wrong_password() {
    let served = Served::start(&[]);
    let mut wrong = Wire::connect(&served.addr());
    let mut unknown = Wire::connect(&served.addr());
    let Message::Error {
        code: c1,
        message: m1,
    } = wrong.login(USER, "errada")
    else {
        panic!("a wrong password logged in")
    };
    let Message::Error {
        code: c2,
        message: m2,
    } = unknown.login("ninguem", PASSWORD)
    else {
        panic!("an unknown user logged in")
    };
    assert_eq!((c1, c2), (code::UNAUTHORIZED, code::UNAUTHORIZED));
    assert_eq!(
        m1.replace(USER, "X"),
        m2.replace("ninguem", "X"),
        "the messages must not tell which one exists"
    );
    wrong.closed();
}

#[test]
fn nothing_works_before_login() {
    let served = Served::start_with(&[("a.txt", b"segredo do servidor")], &[]);
    for request in [
        Message::List,
        Message::Get {
            name: "a.txt".into(),
            offset: 0,
            prefix: [0; 32],
        },
        Message::Put {
            name: "b.txt".into(),
            size: 1,
            resume: false,
        },
    ] {
        let mut wire = Wire::connect(&served.addr());
        wire.send(&request);
        let (code, message) = wire.error();
        assert_eq!(code, code::UNAUTHORIZED, "{message}");
        assert!(message.contains("log in first"), "{message}");
        wire.closed();
    }
    assert!(!served.path("b.txt").exists());
}

#[test]
fn the_password_never_crosses_the_wire() {
    let served = Served::start_with(&[("a.txt", b"a")], &[]);
    // A relay between the client and the server records what the client sends.
    let relay = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
    let relay_addr = relay.local_addr().expect("addr").to_string();
    let server_addr = served.addr();
    let recorder = thread::spawn(move || {
        let (mut from_client, _) = relay.accept().expect("the client connects");
        let mut to_server = TcpStream::connect(server_addr).expect("connect to the server");
        let mut back = to_server.try_clone().expect("clone");
        let mut client_side = from_client.try_clone().expect("clone");
        let answers = thread::spawn(move || {
            let _ = std::io::copy(&mut back, &mut client_side);
        });
        let mut sent = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = from_client.read(&mut buf) {
            sent.extend_from_slice(&buf[..n]);
            if to_server.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to_server.shutdown(std::net::Shutdown::Write);
        let _ = answers.join();
        sent
    });
    let here = tempfile::tempdir().expect("tempdir");
    ok(run_client(&relay_addr, here.path(), &["ls"], PASSWORD));
    let sent = recorder.join().expect("the relay");
    assert!(!sent.is_empty());
    let text = String::from_utf8_lossy(&sent);
    assert!(!text.contains(PASSWORD), "the password was sent in clear");
    assert!(
        !text.contains(&proto::hex(PASSWORD.as_bytes())),
        "the password was sent in hex"
    );
}

#[test]
fn a_client_written_from_the_readme_logs_in_and_checks_the_servers_signature() {
    let served = Served::start(&[]);
    let done = python_client(&served.addr(), USER, PASSWORD, &[]);
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, ["welcome"]);
}

#[test]
fn a_client_written_from_the_readme_is_refused_a_wrong_password() {
    let served = Served::start(&[]);
    let done = python_client(&served.addr(), USER, "errada", &[]);
    assert_eq!(done.status.code(), Some(3), "{}", done.stderr);
    assert_eq!(done.stdout.len(), 1, "{:?}", done.stdout);
    assert!(
        done.stdout[0].starts_with("error\t401\tlogin failed"),
        "{:?}",
        done.stdout
    );
}

#[test]
fn repeated_failures_are_answered_more_and_more_slowly() {
    let served = Served::start(&[]);
    let mut took = Vec::new();
    for _ in 0..4 {
        let mut wire = Wire::connect(&served.addr());
        let start = Instant::now();
        let reply = wire.login(USER, "errada");
        took.push(start.elapsed());
        assert!(
            matches!(reply, Message::Error { code: 401, .. }),
            "{reply:?}"
        );
    }
    // 250 ms, 500 ms, 1 s, 2 s: the fourth guess waits at least a second
    // longer than the first (a lower bound, so a slow machine cannot fail it).
    assert!(
        took[3] >= took[0] + Duration::from_secs(1),
        "failures are not slowed down: {took:?}"
    );
    // The right password still works, and resets the count.
    let mut wire = Wire::connect(&served.addr());
    assert!(matches!(
        wire.login(USER, PASSWORD),
        Message::Welcome { .. }
    ));
}

/// A login taken as far as its PROOF, not yet sent.
struct Pending {
    wire: Wire,
    proof: Message,
}

impl Pending {
    /// Connect, send AUTH, and compute the PROOF for `password`.
    fn prepare(addr: &str, password: &str) -> Self {
        let mut wire = Wire::connect(addr);
        let client_nonce = [7u8; 32];
        wire.send(&Message::Auth {
            user: USER.into(),
            nonce: client_nonce,
        });
        let Message::Challenge { iterations, salt } = wire.message() else {
            panic!("expected CHALLENGE")
        };
        let message =
            proto::auth_message(USER, &client_nonce, &wire.server_nonce(), iterations, &salt);
        let (proof, _) = proto::client_proof(password, &salt, iterations, &message);
        Self {
            wire,
            proof: Message::Proof { proof },
        }
    }

    /// Send the PROOF; the connection, to read the answer from.
    fn send(mut self) -> Wire {
        self.wire.send(&self.proof);
        self.wire
    }
}

#[test]
fn a_correct_login_does_not_wait_for_other_connections_penalties() {
    let served = Served::start(&[]);
    let addr = served.addr();
    // Two failures in a row: the next ones are held back 1 s and 2 s.
    for _ in 0..2 {
        let reply = Wire::connect(&addr).login(USER, "errada");
        assert!(
            matches!(reply, Message::Error { code: 401, .. }),
            "{reply:?}"
        );
    }
    // Two more wrong guesses from the same address, sent while ...
    let guesses: Vec<Wire> = [
        Pending::prepare(&addr, "errada"),
        Pending::prepare(&addr, "errada"),
    ]
    .into_iter()
    .map(Pending::send)
    .collect();
    // ... the right password arrives: it waits for nobody's penalty but its own.
    let start = Instant::now();
    let reply = Wire::connect(&addr).login(USER, PASSWORD);
    let took = start.elapsed();
    assert!(matches!(reply, Message::Welcome { .. }), "{reply:?}");
    assert!(
        took < Duration::from_secs(1),
        "the right password waited {took:?}, behind the 1 s and 2 s penalties of the wrong guesses"
    );
    for mut guess in guesses {
        assert_eq!(guess.error().0, code::UNAUTHORIZED);
    }
}

#[test]
fn over_four_logins_at_once_from_one_address_are_refused_unchecked() {
    let served = Served::start(&[]);
    let addr = served.addr();
    // Six wrong guesses at once: four are checked (and held back), two are
    // refused at once without being checked.
    let pending: Vec<Pending> = (0..6).map(|_| Pending::prepare(&addr, "errada")).collect();
    let mut sent: Vec<Wire> = pending.into_iter().map(Pending::send).collect();
    let mut codes: Vec<u16> = sent.iter_mut().map(|w| w.error().0).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            401,
            401,
            401,
            401,
            code::TOO_MANY_LOGINS,
            code::TOO_MANY_LOGINS
        ]
    );
}

fn accounts_file(users: &[(&str, &str)]) -> tempfile::NamedTempFile {
    let mut text = String::from("# user:scram-sha256:iterations:salt:stored-key:server-key\n");
    for (user, password) in users {
        let salt = &support::sha256(user.as_bytes())[..16];
        text.push_str(&proto::accounts_line(user, password, 4096, salt));
        text.push('\n');
    }
    let mut file = tempfile::NamedTempFile::new().expect("a temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

#[test]
fn an_accounts_file_admits_each_of_its_users_only() {
    let file = accounts_file(&[("ana", "senha-da-ana"), ("bia", "senha-da-bia")]);
    let path = file.path().to_str().expect("utf-8");
    let served = Served::start(&["--accounts", path]);
    let here = tempfile::tempdir().expect("tempdir");
    for (user, password) in [("ana", "senha-da-ana"), ("bia", "senha-da-bia")] {
        let done = python_client(&served.addr(), user, password, &[]);
        assert_eq!(
            done.stdout,
            ["welcome"],
            "{user} cannot log in: {}",
            done.stderr
        );
    }
    let done = python_client(&served.addr(), "ana", "senha-da-bia", &[]);
    assert_eq!(done.status.code(), Some(3), "{}", done.stderr);
    assert!(
        done.stdout[0].starts_with("error\t401\t"),
        "{:?}",
        done.stdout
    );
    // The single-account password does not apply when a file is given.
    let done = run_client(&served.addr(), here.path(), &["ls"], PASSWORD);
    support::failed(&done, "login failed");
}

#[test]
fn add_user_writes_an_account_the_server_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = dir.path().join("contas.txt");
    let accounts_arg = accounts.to_str().expect("utf-8");
    let done = support::server()
        .spawn_with(
            &[
                "add-user",
                "--accounts",
                accounts_arg,
                "--iterations",
                "4096",
                "carla",
            ],
            |cmd| {
                cmd.env("FILE_TRANSFER_PASSWORD", "senha-da-carla");
            },
        )
        .finish();
    assert!(done.status.success(), "add-user failed: {}", done.stderr);
    let text = std::fs::read_to_string(&accounts).expect("the accounts file");
    assert!(
        !text.contains("senha-da-carla"),
        "the password is stored in clear"
    );
    let served = Served::start(&["--accounts", accounts_arg]);
    let mut wire = Wire::connect(&served.addr());
    assert!(matches!(
        wire.login("carla", "senha-da-carla"),
        Message::Welcome { .. }
    ));
}

/// Run `add-user` for `user` on the accounts file `accounts`.
fn add_user(accounts: &std::path::Path, user: &str, password: &str) -> Finished {
    support::server()
        .spawn_with(
            &[
                "add-user",
                "--accounts",
                accounts.to_str().expect("utf-8"),
                "--iterations",
                "4096",
                user,
            ],
            |cmd| {
                cmd.env("FILE_TRANSFER_PASSWORD", password);
            },
        )
        .finish()
}

#[cfg(unix)]
#[test]
fn add_user_writes_the_accounts_file_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = dir.path().join("contas.txt");
    let done = add_user(&accounts, "carla", "senha-da-carla");
    assert!(done.status.success(), "add-user failed: {}", done.stderr);
    let mode = std::fs::metadata(&accounts)
        .expect("the accounts file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {:o}", mode & 0o777);
}

#[test]
fn add_user_leaves_an_unrelated_file_with_a_temporary_looking_name_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let accounts = dir.path().join("contas.txt");
    // The name the accounts file's temporary copy once had.
    let unrelated = dir.path().join("contas.tmp");
    std::fs::write(&unrelated, b"notas de aula").expect("write");
    let done = add_user(&accounts, "carla", "senha-da-carla");
    assert!(done.status.success(), "add-user failed: {}", done.stderr);
    assert_eq!(
        std::fs::read(&unrelated).expect("the unrelated file"),
        b"notas de aula"
    );
    assert_eq!(
        support::testing::file_names(dir.path()),
        ["contas.tmp", "contas.txt"],
        "a temporary file was left behind"
    );
}

#[test]
fn a_server_without_accounts_refuses_to_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let done = support::server()
        .spawn_with(
            &[
                "--listen",
                "127.0.0.1:0",
                "--root",
                root.path().to_str().expect("utf-8"),
            ],
            |cmd| {
                cmd.env_remove("FILE_TRANSFER_PASSWORD");
            },
        )
        .finish();
    assert_eq!(done.status.code(), Some(1));
    assert!(
        done.stderr.starts_with("error: no accounts"),
        "{}",
        done.stderr
    );
}

#[test]
fn the_client_catches_a_server_that_does_not_know_the_account() {
    // A fake server: accepts any proof, but cannot sign the login.
    let fake = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = fake.local_addr().expect("addr").to_string();
    let serving = thread::spawn(move || {
        let (stream, _) = fake.accept().expect("accept");
        let mut stream = stream;
        let hello = Message::Hello {
            protocol: proto::PROTOCOL.into(),
            nonce: [1; 32],
        };
        stream.write_all(&hello.encode()).expect("hello");
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf).expect("auth");
        let challenge = Message::Challenge {
            iterations: 4096,
            salt: vec![7; 16],
        };
        stream.write_all(&challenge.encode()).expect("challenge");
        let _ = stream.read(&mut buf).expect("proof");
        let welcome = Message::Welcome { signature: [9; 32] };
        stream.write_all(&welcome.encode()).expect("welcome");
        let _ = stream.read(&mut buf);
    });
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&addr, here.path(), &["ls"], PASSWORD);
    support::failed(&done, "fake server");
    serving.join().expect("the fake server");
}

#[test]
fn the_client_refuses_a_cheap_challenge() {
    let fake = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = fake.local_addr().expect("addr").to_string();
    let serving = thread::spawn(move || {
        let (mut stream, _) = fake.accept().expect("accept");
        let hello = Message::Hello {
            protocol: proto::PROTOCOL.into(),
            nonce: [1; 32],
        };
        stream.write_all(&hello.encode()).expect("hello");
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf).expect("auth");
        // One iteration would make a recorded proof cheap to crack offline.
        let challenge = Message::Challenge {
            iterations: 1,
            salt: vec![7; 16],
        };
        stream.write_all(&challenge.encode()).expect("challenge");
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        rest
    });
    let here = tempfile::tempdir().expect("tempdir");
    let done = run_client(&addr, here.path(), &["ls"], PASSWORD);
    support::failed(&done, "iterations");
    assert!(serving.join().expect("fake").is_empty(), "a proof was sent");
}

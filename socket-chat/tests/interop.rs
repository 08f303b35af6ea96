//! The course's own Python programs, written from the slides, against our
//! binaries (and ours against theirs). Python 3, standard library only.
//!
//! The only changes to the slides' code: the port comes from the command
//! line (the tests use free ports), and the loops end at end of input or
//! when the peer closes, so that a test can finish.

mod support;

use support::testing::{run_python, spawn_python};
use support::{client, start_server};

/// Slide "Socket - Exemplo de implementação", Client.py.
const SLIDE_CLIENT: &str = r#"
import sys
from socket import *
serverHost = '127.0.0.1'
serverPort = int(sys.argv[1])
sockobj = socket(AF_INET, SOCK_STREAM)
sockobj.connect((serverHost, serverPort))
while True:
    print('Digite uma mensagem')
    try:
        msg = input()
    except EOFError:
        break
    sockobj.send(msg.encode())
    data = sockobj.recv(1024)
    print('Server recebeu:', data.decode())
sockobj.close()
"#;

/// Slide "Socket - Exemplo de implementação", Server.py (a file of its own:
/// the benchmark runs it too).
const SLIDE_SERVER: &str = include_str!("slides/server.py");

/// Seed 004, "UDP: Transmitir informação (cliente)".
const SLIDE_UDP_CLIENT: &str = r#"
import sys
from socket import *
udp_s = socket(AF_INET, SOCK_DGRAM)
udp_s.bind(("0.0.0.0", 0))
udp_s.settimeout(10)
udp_s.sendto(sys.argv[2].encode("utf-8"), ("127.0.0.1", int(sys.argv[1])))
data, addr = udp_s.recvfrom(4096)
print(data.decode("utf-8"))
udp_s.close()
"#;

/// Seed 004, "TCP: Transmitir informação (cliente)".
const SLIDE_TCP_CLIENT: &str = r#"
import sys
from socket import *
tcp_s = socket(AF_INET, SOCK_STREAM)
tcp_s.bind(("0.0.0.0", 0))
tcp_s.connect(("127.0.0.1", int(sys.argv[1])))
tcp_s.send(sys.argv[2].encode("utf-8"))
data = tcp_s.recv(4096)
print(data.decode("utf-8"))
tcp_s.close()
"#;

fn port(server: &common::testing::Program) -> String {
    server.socket_addr().port().to_string()
}

#[test]
fn the_slides_python_client_gets_eco_from_our_server() {
    let mut server = start_server(&["--mode", "echo"]);
    let done = run_python(SLIDE_CLIENT, &[&port(&server)], "Olá\nBom dia\nBoa tarde\n");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "Digite uma mensagem",
            "Server recebeu: Eco=>Olá",
            "Digite uma mensagem",
            "Server recebeu: Eco=>Bom dia",
            "Digite uma mensagem",
            "Server recebeu: Eco=>Boa tarde",
            "Digite uma mensagem",
        ]
    );
    server.expect_line("Cliente enviou: Olá");
    server.expect_line("Cliente enviou: Bom dia");
    server.expect_line("Cliente enviou: Boa tarde");
}

#[test]
fn our_client_talks_to_the_slides_python_server() {
    let mut python = spawn_python(SLIDE_SERVER, &[]);
    let addr = python.wait_listening().to_owned();
    let done = {
        let mut ours = client().spawn(&["--mode", "echo", "--connect", &addr]);
        ours.write_line("Olá");
        assert_eq!(ours.next_line(), "Eco=>Olá");
        ours.write_line("Maísa");
        assert_eq!(ours.next_line(), "Eco=>Maísa");
        ours.finish()
    };
    assert!(done.status.success(), "client failed: {}", done.stderr);
    python.line_containing("Server conectado por");
    python.expect_line("Cliente enviou: Olá");
}

#[test]
fn the_slides_udp_client_gets_upper_case() {
    let server = start_server(&["--mode", "upper", "--transport", "udp"]);
    let done = run_python(SLIDE_UDP_CLIENT, &[&port(&server), "labi"], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["LABI"]);
}

#[test]
fn the_slides_tcp_client_gets_upper_case_with_accents() {
    let server = start_server(&["--mode", "upper"]);
    let done = run_python(SLIDE_TCP_CLIENT, &[&port(&server), "olá"], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(done.stdout, ["OLÁ"]);
}

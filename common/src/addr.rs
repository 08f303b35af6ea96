//! Default addresses of the exercises, as the course slides give them.
//!
//! Servers bind to the loopback interface by default: an exercise server is
//! not meant to be reachable from the network unless its user says so with
//! `--listen 0.0.0.0:PORT`. Port `0` asks the operating system for any free
//! port; every server prints the address it really bound as its first line of
//! output (`listening on <addr>`), which is how tests find it.

/// TCP echo and the terminal chat (slide "Socket - Exemplo de implementação":
/// `meuHost = '127.0.0.1'`, `minhaPort = 50009`).
pub const CHAT: &str = "127.0.0.1:50009";

/// UDP and TCP upper-case echo (slides "UDP Echo Server" / "TCP Echo Server":
/// port 1234; the slides bind `0.0.0.0`, we default to loopback).
pub const UPPER_ECHO: &str = "127.0.0.1:1234";

/// WebSocket example 1, the greeting (`websockets.serve(hello, 'localhost', 8765)`).
pub const WEBSOCKET_HELLO: &str = "127.0.0.1:8765";

/// WebSocket example 2 and the adder exercise (`websockets.serve(time, '127.0.0.1', 5678)`).
pub const WEBSOCKET_ADDER: &str = "127.0.0.1:5678";

/// The `Alunos` database behind an HTTP API (no port in the slides; ours).
pub const SQLITE_STUDENTS: &str = "127.0.0.1:8010";

/// Remote procedure calls (`SimpleXMLRPCServer(('localhost', 8005))`).
pub const RPC_CALCULATOR: &str = "127.0.0.1:8005";

/// File transfer (`port = 6001`).
pub const FILE_TRANSFER: &str = "127.0.0.1:6001";

/// The local stand-in of the course's REST calculator (the port `chalice local` uses).
pub const LAMBDA_CALC: &str = "127.0.0.1:8000";

/// The upload front of the spreadsheet-to-SQL bridge (NodeJS in the paper).
pub const XLSX_FRONT: &str = "127.0.0.1:3000";

/// The converter of the spreadsheet-to-SQL bridge (Flask in the paper).
pub const XLSX_CONVERTER: &str = "127.0.0.1:5000";

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    #[test]
    fn every_default_is_a_loopback_socket_address() {
        for addr in [
            CHAT,
            UPPER_ECHO,
            WEBSOCKET_HELLO,
            WEBSOCKET_ADDER,
            SQLITE_STUDENTS,
            RPC_CALCULATOR,
            FILE_TRANSFER,
            LAMBDA_CALC,
            XLSX_FRONT,
            XLSX_CONVERTER,
        ] {
            let parsed: SocketAddr = addr.parse().expect("default address parses");
            assert!(parsed.ip().is_loopback(), "{addr} is not loopback");
        }
    }

    #[test]
    fn no_two_exercises_share_a_port() {
        let mut ports: Vec<u16> = [
            CHAT,
            UPPER_ECHO,
            WEBSOCKET_HELLO,
            WEBSOCKET_ADDER,
            SQLITE_STUDENTS,
            RPC_CALCULATOR,
            FILE_TRANSFER,
            LAMBDA_CALC,
            XLSX_FRONT,
            XLSX_CONVERTER,
        ]
        .iter()
        .map(|a| a.parse::<SocketAddr>().expect("parses").port())
        .collect();
        let before = ports.len();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(before, ports.len(), "two defaults share a port");
    }
}

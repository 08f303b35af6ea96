//! Hostile clients, for the tests that prove a server holds against them.
//!
//! Each exercise's tests use these against its real server binary: many
//! connections that send the start of something and then nothing
//! ([`open_stalled`]), the classic half-sent HTTP header ([`SLOWLORIS`]),
//! and a way to tell which of them the server has closed
//! ([`Stalled::closed_within`]). Memory is read from `/proc`
//! ([`super::rss_kib`], [`super::peak_rss_kib`]), once the server has read
//! what the connections sent ([`wait_until_read`]).
//!
//! Counts are bounded (a few thousand sockets at most, on 127.0.0.1 only),
//! and [`raise_fd_limit`] (the same one servers call) lifts the test process's own limit on open files so
//! that a machine's default of 1024 does not fail the test before the server
//! is tested.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The start of an HTTP request whose headers never end: a slowloris
/// client sends this, then nothing.
pub const SLOWLORIS: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slowloris\r\n";

pub use crate::sys::raise_fd_limit;

/// Connections that each sent the start of something and then stopped.
pub struct Stalled {
    conns: Vec<TcpStream>,
    /// How many could not even connect or send (refused at once).
    pub refused: usize,
}

/// Open `count` connections to `addr`, and on each send `first` (which may be
/// empty) and then nothing more. A connection the server refuses or closes
/// at once is counted in [`Stalled::refused`], not kept.
pub fn open_stalled(addr: SocketAddr, count: usize, first: &[u8]) -> Stalled {
    raise_fd_limit();
    let mut stalled = Stalled {
        conns: Vec::with_capacity(count),
        refused: 0,
    };
    for _ in 0..count {
        let sent = TcpStream::connect(addr).and_then(|mut conn| {
            if !first.is_empty() {
                conn.write_all(first)?;
            }
            Ok(conn)
        });
        match sent {
            Ok(conn) => stalled.conns.push(conn),
            Err(_) => stalled.refused += 1,
        }
    }
    stalled
}

impl Stalled {
    /// How many connections are held.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True if none is held.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Send `more` on every connection still open (errors ignored: the
    /// server may have closed some).
    pub fn send_all(&mut self, more: &[u8]) {
        for conn in &mut self.conns {
            let _ = conn.write_all(more);
        }
    }

    /// How many of the connections the server has closed by `within` from
    /// now: reading them reaches the end of the stream (after whatever the
    /// server said first) or a reset. Waits no longer than `within` in all.
    pub fn closed_within(&mut self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let mut closed = 0;
        for conn in &mut self.conns {
            if is_closed_by(conn, deadline) {
                closed += 1;
            }
        }
        closed
    }

    /// The connections themselves, to speak on them.
    pub fn conns(&mut self) -> &mut [TcpStream] {
        &mut self.conns
    }
}

/// What the kernel holds for a server listening on `port`, from
/// `/proc/net/tcp`: the bytes received on its side of established
/// connections that it has not read yet, and how many such connections
/// there are. `None` where there is no `/proc/net/tcp` (not Linux): tests
/// then [`require`](super::require) it. IPv4 only (tests use 127.0.0.1).
pub fn unread_on_server_side(port: u16) -> Option<(u64, usize)> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let mut unread = 0;
    let mut connections = 0;
    for row in table.lines().skip(1) {
        let fields: Vec<&str> = row.split_whitespace().collect();
        // local address, state 01 (ESTABLISHED), "tx_queue:rx_queue"
        let (Some(local), Some(&"01"), Some(queues)) =
            (fields.get(1), fields.get(3), fields.get(4))
        else {
            continue;
        };
        let local_port = local
            .rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok());
        if local_port != Some(port) {
            continue;
        }
        let rx = queues
            .split(':')
            .nth(1)
            .and_then(|q| u64::from_str_radix(q, 16).ok())?;
        unread += rx;
        connections += 1;
    }
    Some((unread, connections))
}

/// Wait until the server at `addr` holds at least `connections` established
/// connections and has read everything they sent: the moment to measure
/// what holding them costs. Fails the test after [`super::timeout`].
#[track_caller]
pub fn wait_until_read(addr: SocketAddr, connections: usize) {
    let deadline = Instant::now() + super::timeout();
    loop {
        let seen = unread_on_server_side(addr.port());
        if let Some((0, open)) = seen
            && open >= connections
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not read its {connections} connections in time: \
             (unread bytes, connections) = {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True if the server closes `conn` before `deadline`.
fn is_closed_by(conn: &mut TcpStream, deadline: Instant) -> bool {
    let mut sink = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || conn.set_read_timeout(Some(left)).is_err() {
            return false;
        }
        match conn.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn connections_the_server_closes_are_told_from_the_ones_it_holds() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut stalled = open_stalled(addr, 4, b"hello");
        assert_eq!(stalled.len(), 4);
        // Accept all four; close two (one after saying something), hold two.
        let mut accepted: Vec<TcpStream> = (0..4)
            .map(|_| listener.accept().expect("accept").0)
            .collect();
        let _ = accepted[0].write_all(b"bye\n");
        for conn in accepted.drain(..2) {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        assert_eq!(stalled.closed_within(Duration::from_millis(500)), 2);
    }
}

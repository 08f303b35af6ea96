//! Binding and connecting on the three transports: TCP, UDP and Unix sockets.
//!
//! A socket has a *family* (AF_INET/AF_INET6 for IP, AF_UNIX for local
//! sockets), a *type* (SOCK_STREAM: a connection carrying a byte stream, TCP
//! over IP; SOCK_DGRAM: independent datagrams, UDP over IP) and a *name* (an
//! IP address and port, or a file path). This module turns the command line's
//! choice into bound sockets. The one subtle part is the Unix socket file:
//! it outlives a crashed server, so binding must tell a stale file (safe to
//! replace) from a live server or a user's file (never touched).

#[cfg(unix)]
use common::serve::UnixPeer;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::{TcpListener, TcpStream};

/// The transport a server listens on or a client connects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// TCP over IP: a reliable, ordered byte stream between two addresses.
    Tcp,
    /// UDP over IP: independent datagrams, no connection, no delivery guarantee.
    Udp,
    /// A Unix domain stream socket: like TCP, but local, named by a file path.
    Unix,
}

/// Why a `HOST:PORT` address cannot be used, found before any system call
/// (which would only say "invalid socket address").
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid address {addr}: {problem}")]
pub struct AddrError {
    /// The address as given.
    pub addr: String,
    /// What is wrong with it.
    pub problem: AddrProblem,
}

/// What is wrong with a `HOST:PORT` address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddrProblem {
    /// `127.0.0.1`, `localhost`, `::1`.
    #[error(
        "the port is missing (expected HOST:PORT, such as {})",
        common::addr::CHAT
    )]
    MissingPort,
    /// `:50009`.
    #[error(
        "the host is missing (expected HOST:PORT, such as {})",
        common::addr::CHAT
    )]
    MissingHost,
    /// `::1:50009`: which colon ends the host?
    #[error("an IPv6 address goes in brackets, such as [::1]:50009")]
    BareIpv6,
    /// `127.0.0.1:http`, `127.0.0.1:99999`.
    #[error("the port {port} is not a number from {lowest} to 65535")]
    BadPort {
        /// The port as given.
        port: String,
        /// 0 where it means "any free port" (listening), else 1.
        lowest: u16,
    },
}

/// Check that `addr` has the form `HOST:PORT`, before the system is asked to
/// resolve it. `port_zero` allows port 0 (listen on any free port); a
/// client cannot connect to it.
///
/// ```
/// use socket_chat::net::{AddrProblem, check_addr};
/// assert!(check_addr("127.0.0.1:50009", false).is_ok());
/// assert!(check_addr("[::1]:50009", false).is_ok());
/// let missing = check_addr("127.0.0.1", false).expect_err("no port");
/// assert_eq!(missing.problem, AddrProblem::MissingPort);
/// ```
pub fn check_addr(addr: &str, port_zero: bool) -> Result<(), AddrError> {
    let problem = |problem| AddrError {
        addr: addr.to_owned(),
        problem,
    };
    if addr.parse::<std::net::IpAddr>().is_ok() {
        return Err(problem(AddrProblem::MissingPort));
    }
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Err(problem(AddrProblem::MissingPort));
    };
    if host.is_empty() {
        return Err(problem(AddrProblem::MissingHost));
    }
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(problem(AddrProblem::BareIpv6));
    }
    let lowest = u16::from(!port_zero);
    match port.parse::<u16>() {
        // `+80` parses as a number, but no system takes it as a port.
        Ok(number) if number >= lowest && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(problem(AddrProblem::BadPort {
            port: port.to_owned(),
            lowest,
        })),
    }
}

/// The default path of the Unix socket: `socket-chat.sock` in the temporary
/// directory (the slides use `/tmp/run.sock`).
pub fn default_unix_path() -> PathBuf {
    std::env::temp_dir().join("socket-chat.sock")
}

/// A bound stream listener, TCP or Unix.
pub enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix listener and the socket file it owns.
    #[cfg(unix)]
    Unix(tokio::net::UnixListener, SocketFile),
}

impl Listener {
    /// Bind a TCP listener on `addr` (`host:port`, port 0 for any free port).
    pub async fn bind_tcp(addr: &str) -> io::Result<Self> {
        Ok(Self::Tcp(TcpListener::bind(addr).await?))
    }

    /// Bind a Unix listener at `path`, replacing a stale socket file.
    #[cfg(unix)]
    pub fn bind_unix(path: &Path) -> io::Result<Self> {
        let (listener, file) = unix::bind(path)?;
        Ok(Self::Unix(listener, file))
    }

    /// What to print after `listening on `: `127.0.0.1:50009`, or the path.
    pub fn local_name(&self) -> io::Result<String> {
        match self {
            Self::Tcp(l) => Ok(l.local_addr()?.to_string()),
            #[cfg(unix)]
            Self::Unix(_, file) => Ok(file.path.display().to_string()),
        }
    }
}

/// A stream connection to a server, TCP or Unix.
pub enum Stream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix socket connection.
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

/// Why `--transport unix` fails on Windows, and what to use there: tokio
/// has no Unix-domain sockets on Windows (the system has had them since
/// 2018, but no Rust runtime we use reaches them).
pub fn no_unix_sockets() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "Unix-domain sockets are not available on this system (Windows): use --transport tcp, \
         the default, which carries the same messages over 127.0.0.1",
    )
}

/// Connect to a TCP `addr` or a Unix socket `path`. Check `addr` with
/// [`check_addr`] first: the system's own error for a malformed address
/// does not say what is wrong.
pub async fn connect(transport: Transport, addr: &str, path: &Path) -> io::Result<Stream> {
    match transport {
        Transport::Tcp => {
            let stream = TcpStream::connect(addr).await?;
            // Chat messages are small and interactive: send them at once.
            stream.set_nodelay(true)?;
            Ok(Stream::Tcp(stream))
        }
        #[cfg(unix)]
        Transport::Unix => Ok(Stream::Unix(tokio::net::UnixStream::connect(path).await?)),
        #[cfg(not(unix))]
        Transport::Unix => {
            let _ = path;
            Err(no_unix_sockets())
        }
        Transport::Udp => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "UDP has no connections: use the datagram client",
        )),
    }
}

/// The socket file of a bound Unix listener, removed when dropped.
#[cfg(unix)]
pub struct SocketFile {
    path: PathBuf,
    /// Device and inode of the file we created: on drop we remove the path
    /// only if it still is our socket, not one another program put there.
    id: (u64, u64),
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.id
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_users_are_told_to_use_tcp() {
        let e = super::no_unix_sockets();
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("--transport tcp"), "{e}");
    }

    use super::*;

    fn problem(addr: &str, port_zero: bool) -> Option<AddrProblem> {
        check_addr(addr, port_zero).err().map(|e| e.problem)
    }

    #[test]
    fn well_formed_addresses_pass() {
        for addr in [
            "127.0.0.1:50009",
            "localhost:1",
            "[::1]:65535",
            "exemplo.com.br:80",
        ] {
            assert_eq!(problem(addr, false), None, "{addr}");
        }
        assert_eq!(problem("127.0.0.1:0", true), None);
    }

    #[test]
    fn each_malformed_address_says_what_is_wrong() {
        let bad_port = |port: &str, lowest| AddrProblem::BadPort {
            port: port.to_owned(),
            lowest,
        };
        for (addr, expected) in [
            ("127.0.0.1", AddrProblem::MissingPort),
            ("localhost", AddrProblem::MissingPort),
            ("::1", AddrProblem::MissingPort),
            (":50009", AddrProblem::MissingHost),
            ("::1:50009", AddrProblem::BareIpv6),
            ("127.0.0.1:", bad_port("", 1)),
            ("127.0.0.1:http", bad_port("http", 1)),
            ("127.0.0.1:99999", bad_port("99999", 1)),
            ("127.0.0.1:+80", bad_port("+80", 1)),
            ("127.0.0.1:0", bad_port("0", 1)),
        ] {
            assert_eq!(problem(addr, false), Some(expected), "{addr}");
        }
        assert_eq!(problem("127.0.0.1:-1", true), Some(bad_port("-1", 0)));
    }

    #[test]
    fn the_missing_port_is_said_in_one_sentence() {
        let e = check_addr("127.0.0.1", false).expect_err("no port");
        assert_eq!(
            e.to_string(),
            "invalid address 127.0.0.1: the port is missing (expected HOST:PORT, such as 127.0.0.1:50009)"
        );
    }
}

#[cfg(unix)]
mod unix {
    use super::SocketFile;
    use std::io;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use std::path::Path;
    use tokio::net::UnixListener;

    pub(super) fn bind(path: &Path) -> io::Result<(UnixListener, SocketFile)> {
        let listener = match UnixListener::bind(path) {
            Ok(listener) => listener,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                replace_if_stale(path)?;
                UnixListener::bind(path)?
            }
            Err(e) => return Err(e),
        };
        let meta = std::fs::symlink_metadata(path)?;
        let file = SocketFile {
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        };
        Ok((listener, file))
    }

    /// Something already has this name. Remove it only if it is a socket
    /// that nobody listens on any more (left by a crashed server).
    fn replace_if_stale(path: &Path) -> io::Result<()> {
        let meta = std::fs::symlink_metadata(path)?;
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a socket; refusing to replace it",
                    path.display()
                ),
            ));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another server is listening on {}", path.display()),
            )),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                tracing::info!(path = %path.display(), "replacing a stale socket file");
                std::fs::remove_file(path)
            }
            Err(e) => Err(e),
        }
    }
}

/// Who is at the other end of an accepted connection, as the transcript and
/// the logs name it: `127.0.0.1:54364`, or `unix#3` for a Unix peer (which
/// has no address).
#[derive(Debug, Clone)]
pub enum Peer {
    /// A TCP peer's address.
    Tcp(SocketAddr),
    /// A Unix peer, numbered in the order of arrival.
    #[cfg(unix)]
    Unix(UnixPeer),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => addr.fmt(f),
            #[cfg(unix)]
            Self::Unix(peer) => peer.fmt(f),
        }
    }
}

/// The server accepts through `common::serve`, the accept loop every server
/// of the workspace shares (connection cap, shutdown); each variant accepts
/// the way `common` does for its kind of socket (TCP_NODELAY on TCP).
impl common::serve::Listener for Listener {
    type Io = Stream;
    type Peer = Peer;

    async fn accept(&self) -> io::Result<(Stream, Peer)> {
        match self {
            Self::Tcp(l) => {
                let (stream, peer) = common::serve::Listener::accept(l).await?;
                Ok((Stream::Tcp(stream), Peer::Tcp(peer)))
            }
            #[cfg(unix)]
            Self::Unix(l, _) => {
                let (stream, peer) = common::serve::Listener::accept(l).await?;
                Ok((Stream::Unix(stream), Peer::Unix(peer)))
            }
        }
    }
}

// `Stream` is a plain enum of two `Unpin` sockets, so each method just
// forwards to the socket inside.
impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Self::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Self::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Self::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Self::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

//! A real session, recorded on the wire and printed frame by frame.
//!
//! ```text
//! cargo run -p file-transfer --example transcript
//! ```
//!
//! Runs the server in this process, puts a relay between it and the client
//! that records both directions, then logs in, uploads a small file (over an
//! existing one), lists, downloads it, and asks for `../etc/passwd`. Every frame is printed as its
//! bytes in hex (long ones shortened) and what they mean. The README's
//! byte-level transcript comes from this program.

use file_transfer::auth::{Accounts, Credentials};
use file_transfer::client::{Client, NoProgress};
use file_transfer::server::{self, ServerConfig};
use file_transfer::store::Store;
use file_transfer::wire::{self, HEADER_LEN, Message, hex};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

type Log = Arc<Mutex<Vec<(&'static str, Vec<u8>)>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    std::fs::write(root.path().join("FT_teste.xlsx"), b"old")?;
    let here = tempfile::tempdir()?;
    let local = here.path().join("FT_arquivo_recebido.xlsx");
    std::fs::write(&local, "Olá!\n")?;

    let mut accounts = Accounts::new([0; 32]);
    accounts.insert("aluno", Credentials::new("segredo", 4096)?);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let server_addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let config = ServerConfig {
        accounts,
        chunk: 4,
        limits: common::serve::Limits {
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
        transcript: None,
    };
    let store = Arc::new(Store::open(root.path(), 5, u64::MAX)?);
    let running = tokio::spawn(server::run(listener, store, config, shutdown.clone()));

    let relay = TcpListener::bind("127.0.0.1:0").await?;
    let relay_addr = relay.local_addr()?.to_string();
    let log: Log = Arc::default();
    let recording = tokio::spawn(record(relay, server_addr.to_string(), Arc::clone(&log)));

    let mut client = Client::connect(&relay_addr, Duration::from_secs(10)).await?;
    client.set_chunk(4);
    client.login("aluno", "segredo").await?;
    client
        .put(&local, "FT_teste.xlsx", false, &NoProgress)
        .await?;
    client.list().await?;
    client
        .get(
            "FT_teste.xlsx",
            &here.path().join("de volta.xlsx"),
            false,
            &NoProgress,
        )
        .await?;
    // A refusal: the name is a path.
    let refused = client
        .get("../etc/passwd", &here.path().join("x"), false, &NoProgress)
        .await;
    anyhow::ensure!(refused.is_err(), "a path was accepted");
    drop(client);
    recording.await??;
    shutdown.cancel();
    running.await??;

    let log = log.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    for (who, stream) in log.iter() {
        print_frames(who, stream);
    }
    Ok(())
}

/// Relay one connection, recording each direction's bytes in order of arrival.
async fn record(relay: TcpListener, upstream: String, log: Log) -> anyhow::Result<()> {
    let (client, _) = relay.accept().await?;
    let server = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = {
        let log = Arc::clone(&log);
        tokio::spawn(async move { pump(&mut cr, &mut sw, "C", log).await })
    };
    pump(&mut sr, &mut cw, "S", log).await?;
    up.await??;
    Ok(())
}

async fn pump(
    from: &mut (impl AsyncReadExt + Unpin),
    to: &mut (impl AsyncWriteExt + Unpin),
    who: &'static str,
    log: Log,
) -> anyhow::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            let _ = to.shutdown().await;
            return Ok(());
        }
        if let Ok(mut log) = log.lock() {
            match log.last_mut() {
                Some((last, bytes)) if *last == who => bytes.extend_from_slice(&buf[..n]),
                _ => log.push((who, buf[..n].to_vec())),
            }
        }
        to.write_all(&buf[..n]).await?;
    }
}

fn short(bytes: &[u8]) -> String {
    let h = hex(bytes);
    if h.len() > 24 {
        format!("{}…", &h[..16])
    } else {
        h
    }
}

fn print_frames(who: &str, mut stream: &[u8]) {
    while stream.len() >= HEADER_LEN {
        let header: [u8; HEADER_LEN] = stream[..HEADER_LEN].try_into().unwrap_or_default();
        let Ok((kind, len)) = wire::parse_header(header) else {
            println!("{who}: (not a frame) {}", short(stream));
            return;
        };
        let body = &stream[HEADER_LEN..HEADER_LEN + len.min(stream.len() - HEADER_LEN)];
        let meaning = if kind == wire::kind::DATA {
            format!("DATA {:?}", String::from_utf8_lossy(body))
        } else {
            match Message::decode(kind, body) {
                Ok(m) => describe(&m),
                Err(e) => format!("invalid: {e}"),
            }
        };
        let shown = if body.len() > 40 {
            format!("{}…", hex(&body[..40]))
        } else {
            hex(body)
        };
        println!(
            "{who}: {:02x} {} {shown:<81} {meaning}",
            kind,
            hex(&header[1..])
        );
        stream = &stream[(HEADER_LEN + len).min(stream.len())..];
    }
}

fn describe(m: &Message) -> String {
    match m {
        Message::Hello { protocol, nonce } => format!("HELLO {protocol:?} nonce={}", short(nonce)),
        Message::Auth { user, nonce } => format!("AUTH {user:?} nonce={}", short(nonce)),
        Message::Challenge { iterations, salt } => {
            format!("CHALLENGE iterations={iterations} salt={}", short(salt))
        }
        Message::Proof { proof } => format!("PROOF {}", short(proof)),
        Message::Welcome { signature } => format!("WELCOME signature={}", short(signature)),
        Message::List => "LIST".into(),
        Message::Entry {
            name,
            size,
            modified,
        } => format!("ENTRY {name:?} size={size} modified={modified}"),
        Message::End => "END".into(),
        Message::Get {
            name,
            offset,
            prefix,
        } => format!("GET {name:?} offset={offset} prefix={}", short(prefix)),
        Message::File {
            size,
            digest,
            offset,
        } => format!("FILE size={size} sha256={} offset={offset}", short(digest)),
        Message::Put { name, size, resume } => {
            format!("PUT {name:?} size={size} resume={resume}")
        }
        Message::Trailer { digest } => format!("TRAILER sha256={}", short(digest)),
        Message::Ready { offset } => format!("READY offset={offset}"),
        Message::Stored {
            size,
            digest,
            previous,
        } => format!(
            "STORED size={size} sha256={} previous={previous:?}",
            short(digest)
        ),
        Message::Error { code, message } => format!("ERROR {code} {message:?}"),
    }
}

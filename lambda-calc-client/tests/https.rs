//! The client over HTTPS, as against API Gateway's `https://` URL: a TLS
//! server on a loopback port, with a certificate of its own, in front of the
//! real server.
//!
//! The certificate (`tests/tls/localhost.crt`, its key `localhost.key`) is
//! for these tests only, self-signed, valid for `127.0.0.1` and `localhost`
//! for a hundred years. It was made once with OpenSSL 3:
//!
//! ```text
//! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
//!     -keyout localhost.key -out localhost.crt -days 36500 -subj "/CN=localhost" \
//!     -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
//!     -addext "basicConstraints=critical,CA:FALSE" \
//!     -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=serverAuth"
//! ```
//!
//! `CA:FALSE` because the web PKI's rules (rustls's) refuse a certificate
//! that says it is an authority as a server's own; trusted with `--ca-cert`,
//! the self-signed certificate is its own root.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use support::{error_line, run_client, start_server, testing::timeout};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The test certificate, to pass to `--ca-cert`.
fn certificate() -> String {
    format!("{}/tests/tls/localhost.crt", env!("CARGO_MANIFEST_DIR"))
}

/// A TLS server on a free loopback port that forwards each connection, once
/// decrypted, to `backend`: HTTPS in front of the server under test.
fn start_tls_proxy(backend: SocketAddr) -> SocketAddr {
    let key = format!("{}/tests/tls/localhost.key", env!("CARGO_MANIFEST_DIR"));
    let certs = vec![CertificateDer::from_pem_file(certificate()).expect("the test certificate")];
    let key = PrivateKeyDer::from_pem_file(key).expect("the test key");
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("a TLS configuration");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            addr_tx
                .send(listener.local_addr().expect("addr"))
                .expect("send");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the
                    // handshake: nothing to forward.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
    });
    addr_rx
        .recv_timeout(timeout())
        .expect("the TLS server starts")
}

#[test]
fn one_shot_over_https_prints_the_result() {
    let server = start_server();
    let proxy = start_tls_proxy(server.socket_addr());
    let url = format!("https://{proxy}/api");
    let done = run_client(&url, &["--ca-cert", &certificate(), "mult", "4", "5"], "");
    assert!(done.status.success(), "{}", done.stderr);
    assert_eq!(done.stdout, [r#"{"A multiplicação": 20}"#]);
}

#[test]
fn an_untrusted_certificate_is_one_clear_error_line_not_retried() {
    let server = start_server();
    let proxy = start_tls_proxy(server.socket_addr());
    let url = format!("https://{proxy}/api");
    let done = run_client(&url, &["mult", "4", "5"], "");
    let line = error_line(&done);
    assert_eq!(
        line,
        format!(
            "error: cannot verify the server's certificate for {url}/mult/4/5: invalid peer \
             certificate: UnknownIssuer; if the API uses a private certificate authority, \
             trust it with --ca-cert FILE"
        )
    );
    assert_eq!(done.stderr, format!("{line}\n"), "no retry notices");
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
}

#[test]
fn a_ca_cert_file_without_a_certificate_is_one_error_line() {
    let not_a_certificate = format!("{}/tests/https.rs", env!("CARGO_MANIFEST_DIR"));
    let done = run_client(
        "https://127.0.0.1:9/api",
        &["--ca-cert", &not_a_certificate, "mult", "4", "5"],
        "",
    );
    assert_eq!(
        error_line(&done),
        format!(
            "error: cannot use {not_a_certificate} as --ca-cert: no PEM certificate (BEGIN \
             CERTIFICATE) in it"
        )
    );
}

#[test]
fn https_to_a_server_without_tls_is_one_error_line_not_retried() {
    let server = start_server();
    let url = format!("https://{}/api", server.socket_addr());
    let done = run_client(&url, &["mult", "4", "5"], "");
    let line = error_line(&done);
    assert_eq!(
        line,
        format!(
            "error: TLS with {url}/mult/4/5 failed: received corrupt message of type \
             InvalidContentType"
        )
    );
    assert_eq!(done.stderr, format!("{line}\n"), "no retry notices");
}

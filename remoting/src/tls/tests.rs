//! TLS against an in-process server with a certificate generated at test time.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::{host_of, TlsConfig};
use crate::config::RemotingConfig;
use crate::error::ErrorKind;
use crate::testing::{MockServer, Reply};
use crate::RemotingClient;

const LONG: Duration = Duration::from_secs(5);

/// A self-signed CA and a server certificate it issued for `localhost` and `127.0.0.1`.
struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    ca: rcgen::Issuer<'static, KeyPair>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let ca = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .expect("server cert");
    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        ca,
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(pki: &Pki, require_client_cert: bool) -> Arc<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if require_client_cert {
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca_der.clone()).expect("ca");
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .expect("verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .expect("server cert");
    Arc::new(config)
}

async fn call(server: &MockServer, tls: TlsConfig) -> crate::Result<Command> {
    let config = RemotingConfig::builder().tls(tls).build()?;
    let client = RemotingClient::new(config);
    let result = client
        .invoke(
            &server.addr(),
            Command::request(RequestCode::HEART_BEAT),
            LONG,
        )
        .await;
    client.shutdown().await;
    result
}

/// A client trusting the CA completes the handshake and exchanges frames.
#[tokio::test]
async fn client_with_ca_connects() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, false))
        .await
        .expect("server");
    let response = call(&server, TlsConfig::new().ca_pem(pki.ca_pem.clone()))
        .await
        .expect("verified");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    let response = call(
        &server,
        TlsConfig::new()
            .ca_pem(pki.ca_pem.clone())
            .server_name("localhost"),
    )
    .await
    .expect("verified with SNI name");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
}

/// A client that does not trust the CA (webpki roots only) refuses the server.
#[tokio::test]
async fn client_without_ca_is_refused() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, false))
        .await
        .expect("server");
    let err = call(&server, TlsConfig::new())
        .await
        .expect_err("unknown issuer");
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(server.requests().is_empty());
}

/// A TLS client dialing a plain RocketMQ port (the server reads the ClientHello as an
/// oversized frame and closes) is told the port may not speak TLS.
#[tokio::test]
async fn tls_to_a_plain_port_says_the_server_did_not_answer_in_tls() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("plain server");
    let err = call(&server, TlsConfig::new())
        .await
        .expect_err("a plain server cannot finish a handshake");
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    let text = crate::Error::chain(&err).to_string();
    assert!(text.contains("did not answer in TLS"), "{text}");
    assert!(text.contains(&server.addr()), "{text}");
}

/// A plain client dialing a TLS port: the server's alert is recognised and named.
#[tokio::test]
async fn plain_to_a_tls_port_names_a_tls_server() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, false))
        .await
        .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let err = client
        .invoke(
            &server.addr(),
            Command::request(RequestCode::HEART_BEAT),
            LONG,
        )
        .await
        .expect_err("a TLS server cannot answer a plain frame");
    client.shutdown().await;
    let text = crate::Error::chain(&err).to_string();
    assert!(text.contains("TLS server"), "{text}");
}

/// A certificate for another name is refused even with the right CA.
#[tokio::test]
async fn wrong_server_name_is_refused() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, false))
        .await
        .expect("server");
    let tls = TlsConfig::new()
        .ca_pem(pki.ca_pem.clone())
        .server_name("broker.example.com");
    let err = call(&server, tls).await.expect_err("name mismatch");
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
}

/// `insecure_skip_verify` accepts any certificate (tests only).
#[tokio::test]
async fn insecure_skip_verify_accepts_unknown_issuer() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, false))
        .await
        .expect("server");
    let response = call(&server, TlsConfig::new().insecure_skip_verify())
        .await
        .expect("unverified");
    assert!(response.is_response());
}

/// A server requiring client certificates accepts a client presenting one the CA issued.
#[tokio::test]
async fn mutual_tls_presents_client_certificate() {
    let pki = pki();
    let server = MockServer::start_tls(|_| Reply::success(), server_config(&pki, true))
        .await
        .expect("server");
    let err = call(&server, TlsConfig::new().ca_pem(pki.ca_pem.clone()))
        .await
        .expect_err("no client certificate");
    assert!(err.is_connection_error(), "{err:?}");

    let client_key = KeyPair::generate().expect("client key");
    let client_cert = CertificateParams::new(vec!["client".to_owned()])
        .expect("params")
        .signed_by(&client_key, &pki.ca)
        .expect("client cert");
    let tls = TlsConfig::new()
        .ca_pem(pki.ca_pem.clone())
        .client_cert_pem(client_cert.pem(), client_key.serialize_pem());
    let response = call(&server, tls).await.expect("mutual TLS");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
}

/// Bad PEM input is reported when the configuration is built.
#[test]
fn invalid_pem_fails_at_build() {
    let err = RemotingConfig::builder()
        .tls(TlsConfig::new().ca_pem("not a certificate"))
        .build()
        .expect_err("no certificate");
    assert_eq!(err.kind(), ErrorKind::Tls);
    let debug = format!("{:?}", TlsConfig::new().client_cert_pem("c", "secret-key"));
    assert!(!debug.contains("secret-key"), "{debug}");
}

#[test]
fn host_of_strips_port_and_brackets() {
    assert_eq!(host_of("broker:10911"), "broker");
    assert_eq!(host_of("127.0.0.1:10911"), "127.0.0.1");
    assert_eq!(host_of("[::1]:10911"), "::1");
}

//! TLS for connections (feature `tls`), with rustls and the ring provider. The server is
//! verified by default, against the webpki roots or the CA certificates configured here;
//! skipping verification is an explicit, test-only opt-in.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::{Error, Result};

/// How connections authenticate the server (and optionally themselves).
///
/// ```
/// use rmq_remoting::{RemotingConfig, TlsConfig};
///
/// let config = RemotingConfig::builder()
///     .tls(TlsConfig::new().server_name("broker.example.com"))
///     .build()?;
/// assert!(config.is_tls());
/// # Ok::<(), rmq_remoting::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct TlsConfig {
    ca: Vec<Source>,
    client_cert: Option<(Source, Source)>,
    server_name: Option<String>,
    insecure_skip_verify: bool,
}

#[derive(Clone)]
enum Source {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Pem(bytes) => write!(f, "Pem({} bytes)", bytes.len()),
            Source::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl fmt::Debug for TlsConfig {
    /// Key material is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca", &self.ca)
            .field("client_cert", &self.client_cert.as_ref().map(|(c, _)| c))
            .field("server_name", &self.server_name)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .finish()
    }
}

impl TlsConfig {
    /// Verifies servers against the webpki (Mozilla) roots, no client certificate, server
    /// name taken from the address's host.
    pub fn new() -> Self {
        TlsConfig::default()
    }

    /// Trusts the CA certificates in `pem` instead of the webpki roots (may be called several
    /// times).
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca.push(Source::Pem(pem.into()));
        self
    }

    /// Trusts the CA certificates in the PEM file at `path` instead of the webpki roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca.push(Source::File(path.into()));
        self
    }

    /// Presents a client certificate (mutual TLS): a PEM certificate chain and its PEM key.
    pub fn client_cert_pem(mut self, chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        self.client_cert = Some((Source::Pem(chain.into()), Source::Pem(key.into())));
        self
    }

    /// Presents a client certificate read from PEM files.
    pub fn client_cert_files(mut self, chain: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((Source::File(chain.into()), Source::File(key.into())));
        self
    }

    /// The name sent as SNI and checked against the certificate. Default: the host part of
    /// the address dialed (an IP address is checked against IP SANs).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Accepts any server certificate. **For tests only**: this removes all protection
    /// against a man in the middle. Signatures are still checked, so the handshake is real.
    pub fn insecure_skip_verify(mut self) -> Self {
        self.insecure_skip_verify = true;
        self
    }

    pub(crate) fn into_connector(self) -> Result<TlsConnector> {
        let provider = Arc::new(ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("protocol versions", e))?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => {
                let chain = certs(chain)?;
                let key = private_key(key)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| tls_error("client certificate", e))?
            }
        };
        let server_name = self
            .server_name
            .map(|name| {
                ServerName::try_from(name.clone())
                    .map_err(|e| tls_error(&format!("invalid server name {name:?}"), e))
            })
            .transpose()?;
        Ok(TlsConnector {
            inner: tokio_rustls::TlsConnector::from(Arc::new(config)),
            server_name,
        })
    }

    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        if self.ca.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            return Ok(roots);
        }
        for source in &self.ca {
            for cert in certs(source)? {
                roots
                    .add(cert)
                    .map_err(|e| tls_error("invalid CA certificate", e))?;
            }
        }
        Ok(roots)
    }
}

fn tls_error(reason: &str, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Tls {
        reason: reason.to_owned(),
        source: Some(Box::new(source)),
    }
}

fn certs(source: &Source) -> Result<Vec<CertificateDer<'static>>> {
    let parsed: std::result::Result<Vec<_>, _> = match source {
        Source::Pem(pem) => CertificateDer::pem_slice_iter(pem).collect(),
        Source::File(path) => CertificateDer::pem_file_iter(path)
            .map_err(|e| tls_error(&format!("cannot read {}", path.display()), e))?
            .collect(),
    };
    let certs = parsed.map_err(|e| tls_error("invalid PEM certificate", e))?;
    if certs.is_empty() {
        return Err(Error::Tls {
            reason: "no certificate found in PEM input".into(),
            source: None,
        });
    }
    Ok(certs)
}

fn private_key(source: &Source) -> Result<PrivateKeyDer<'static>> {
    match source {
        Source::Pem(pem) => PrivateKeyDer::from_pem_slice(pem),
        Source::File(path) => PrivateKeyDer::from_pem_file(path),
    }
    .map_err(|e| tls_error("invalid PEM private key", e))
}

/// A built client configuration, shared by every dial.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    inner: tokio_rustls::TlsConnector,
    server_name: Option<ServerName<'static>>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// Runs the handshake over `stream`, dialed to `addr`.
    pub(crate) async fn connect(
        &self,
        addr: &str,
        stream: TcpStream,
    ) -> io::Result<TlsStream<TcpStream>> {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => ServerName::try_from(host_of(addr).to_owned())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
        };
        self.inner
            .connect(name, stream)
            .await
            .map_err(|e| explain_handshake_failure(addr, e))
    }
}

/// A handshake the server broke off (closed, reset, or answered with bytes that are not TLS)
/// most often means a plain port: say so, keeping the kind and the cause.
fn explain_handshake_failure(addr: &str, e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::InvalidData => io::Error::new(
            e.kind(),
            format!(
                "TLS handshake with {addr} failed ({e}): the server did not answer in TLS; \
                 if this is a plain (non-TLS) RocketMQ port, disable TLS in the client \
                 configuration"
            ),
        ),
        _ => e,
    }
}

/// The host part of `host:port` or `[v6]:port`.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Accepts every certificate but still checks handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests;

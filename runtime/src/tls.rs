//! TLS for the upstream clients: rustls with the platform's certificate verifier, whose root
//! certificates are loaded on the first TLS handshake, once per process.
//!
//! reqwest builds the platform verifier when it builds a client, and on Linux that reads and parses
//! every certificate under `/etc/ssl/certs`: most of a server's start-up, done again for each
//! client, and needless when the upstream is plain HTTP on a private network. The verifier here
//! defers it; what it verifies, and against which roots, is the platform verifier's.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

/// The platform's verifier, with the system's root certificates, once the first handshake needs it.
static PLATFORM: OnceLock<Result<Verifier, rustls::Error>> = OnceLock::new();

/// The TLS configuration of the upstream clients: TLS 1.2 and 1.3 with ring, HTTP/1.1 (kept-alive,
/// pooled connections), server certificates checked by the platform's verifier.
pub fn client_config() -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("cannot configure TLS: {error}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PlatformVerifier { provider }))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The platform's verifier, made on first use. Handshake signatures are checked with the crypto
/// provider's algorithms, as the platform's verifier checks them, without loading any roots.
#[derive(Debug)]
struct PlatformVerifier {
    provider: Arc<CryptoProvider>,
}

impl PlatformVerifier {
    fn loaded(&self) -> Result<&'static Verifier, rustls::Error> {
        PLATFORM.get_or_init(|| Verifier::new(Arc::clone(&self.provider))).as_ref().map_err(Clone::clone)
    }
}

impl ServerCertVerifier for PlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.loaded()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

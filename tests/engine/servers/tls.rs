//! A certificate authority and a server certificate for 127.0.0.1 and localhost, made at run
//! time, so https tests need no files and clients trust exactly one test CA.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// What an https test server needs: the acceptor and the CA its clients must trust.
pub struct TlsIdentity {
    /// Accepts TLS connections with the server certificate.
    pub acceptor: TlsAcceptor,
    /// PEM of the CA that signed the server certificate.
    pub ca_pem: String,
}

/// A fresh CA and a server certificate it signed, for `127.0.0.1` and `localhost`.
pub fn identity() -> TlsIdentity {
    let ca_key = KeyPair::generate().expect("generate the CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Ferry test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("self-sign the CA");

    let server_key = KeyPair::generate().expect("generate the server key");
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server parameters");
    server_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("sign the server certificate");

    let provider = Arc::new(crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("rustls supports its default protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![server.der().clone(), ca.der().clone()], key)
        .expect("the server certificate matches its key");
    // The test servers speak HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsIdentity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.pem(),
    }
}

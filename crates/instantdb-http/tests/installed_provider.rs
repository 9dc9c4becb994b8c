//! A rustls crypto provider the application installed as the process default is the one the
//! default transport uses (instead of ring's), so an application can choose aws-lc-rs, e.g. for
//! post-quantum key exchange.
//!
//! Its own test binary: the process default can be installed once per process, and the other
//! tests need ring's provider.

// A failure to set up the test is a test failure.
#![allow(clippy::unwrap_used)]

use instantdb_http::Client;

#[test]
fn the_installed_process_default_provider_is_used() {
    // An unusable provider (no cipher suite) makes building the TLS configuration fail, which
    // only happens if the client took it rather than ring's own.
    #[allow(deprecated)] // See `ring_provider` in src/hyper_transport.rs.
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.clear();
    provider.install_default().unwrap();

    let err = Client::builder()
        .base_url("https://localhost:1")
        .tls_native_roots(false)
        .build()
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(err.to_string().contains("no usable cipher suites"), "{err}");
}

//! The HTTP client the node speaks JSON-RPC with: `http://` and `https://`
//! (rustls, the system's roots plus any configured extra roots), connecting
//! bounded in time. Each request's timeout, the retries, the failover
//! between URLs and the deadline per request are the transport's
//! ([`liveliness_chain::rpc`], PROTOCOL.md §11.2).

use eyre::WrapErr;
use std::path::Path;

pub use liveliness_chain::rpc::{CONNECT_TIMEOUT, REQUEST_TIMEOUT};

/// A client for the chain RPC. `extra_roots` is a PEM file of certificates
/// trusted besides the system's (a private RPC with its own CA).
///
/// # Errors
/// When the file cannot be read or holds no certificate.
pub fn http_client(extra_roots: Option<&Path>) -> eyre::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT);
    if let Some(path) = extra_roots {
        let pem = std::fs::read(path)
            .wrap_err_with(|| format!("cannot read rpc_ca_file {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .wrap_err_with(|| format!("rpc_ca_file {} is not PEM", path.display()))?;
        if certs.is_empty() {
            eyre::bail!("rpc_ca_file {} holds no certificate", path.display());
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().wrap_err("cannot build the RPC client")
}

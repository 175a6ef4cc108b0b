//! Name resolution for the checker, able to tell "the name is broken" (the
//! operator's fault) from "this node's resolver is down" (this node's).
//!
//! A lookup that gets an answer saying the name has no address (`NXDOMAIN`,
//! no A/AAAA records) is the operator's failure. A lookup that fails any other
//! way (timeout, `SERVFAIL`, the resolver unreachable) is ambiguous, so the
//! resolver is probed with a query it can answer on its own (the root zone's
//! `NS`, through a resolver without cache so that the answer is fresh): if the
//! probe is answered, the resolver works and the failure is the name's; if not,
//! this node could not resolve and the check is undetermined.

use crate::checker::LocalFault;
use hickory_resolver::{
    config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts},
    net::runtime::TokioRuntimeProvider,
    proto::rr::{Name, RecordType},
    TokioResolver,
};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};
use tracing::{debug, warn};

/// Why a name did not resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResolveFailure {
    /// The name has no address, or its servers failed while ours answered:
    /// the operator's fault. `timed_out` tells a slow name from a broken one.
    Name { timed_out: bool },
    /// This node could not resolve.
    Local(LocalFault),
}

/// The resolver pair: one that caches, for endpoints, and one that never
/// does, for the probe.
#[derive(Clone)]
pub(crate) struct Dns {
    lookup: Option<(TokioResolver, TokioResolver)>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns")
            .field("configured", &self.lookup.is_some())
            .finish()
    }
}

impl Dns {
    /// Resolvers over `name_servers`, or the system's configuration
    /// (`/etc/resolv.conf`, `/etc/hosts`) when `None`. Each query may take
    /// `timeout`, tried once per server.
    pub(crate) fn new(name_servers: Option<&[SocketAddr]>, timeout: Duration) -> Arc<Self> {
        let build = |cache: bool| -> Result<TokioResolver, String> {
            let mut builder = match name_servers {
                None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?,
                Some(servers) => {
                    let config = ResolverConfig::from_name_servers(
                        servers
                            .iter()
                            .map(|s| {
                                let mut udp = ConnectionConfig::udp();
                                udp.port = s.port();
                                let mut tcp = ConnectionConfig::tcp();
                                tcp.port = s.port();
                                NameServerConfig::new(s.ip(), true, vec![udp, tcp])
                            })
                            .collect(),
                    );
                    TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                }
            };
            let options: &mut ResolverOpts = builder.options_mut();
            options.timeout = timeout;
            options.attempts = 1;
            if !cache {
                options.cache_size = 0;
            }
            builder.build().map_err(|e| e.to_string())
        };
        let lookup = match (build(true), build(false)) {
            (Ok(cached), Ok(probe)) => Some((cached, probe)),
            (Err(e), _) | (_, Err(e)) => {
                warn!(target: "health", error = %e, "no DNS resolver: endpoints given by name cannot be checked");
                None
            }
        };
        Arc::new(Self { lookup })
    }

    /// The addresses of `host`, or why there are none.
    pub(crate) async fn resolve(
        &self,
        host: &str,
        budget: Duration,
    ) -> Result<Vec<IpAddr>, ResolveFailure> {
        let Some((resolver, probe)) = &self.lookup else {
            return Err(ResolveFailure::Local(LocalFault::Setup));
        };
        // A fully-qualified name: no search-domain guesses.
        let fqdn = if host.ends_with('.') {
            host.to_owned()
        } else {
            format!("{host}.")
        };
        let timed_out = match tokio::time::timeout(budget, resolver.lookup_ip(fqdn.as_str())).await
        {
            Ok(Ok(found)) => {
                let ips: Vec<IpAddr> = found.iter().collect();
                return if ips.is_empty() {
                    Err(ResolveFailure::Name { timed_out: false })
                } else {
                    Ok(ips)
                };
            }
            Ok(Err(e)) if e.is_no_records_found() => {
                return Err(ResolveFailure::Name { timed_out: false })
            }
            Ok(Err(e)) => {
                debug!(target: "health", host, error = %e, "lookup failed; probing the resolver");
                matches!(e, hickory_resolver::net::NetError::Timeout)
            }
            Err(_) => true,
        };
        let probed =
            tokio::time::timeout(budget / 2, probe.lookup(Name::root(), RecordType::NS)).await;
        match probed {
            Ok(Ok(_)) => Err(ResolveFailure::Name { timed_out }),
            Ok(Err(e)) if e.is_no_records_found() => Err(ResolveFailure::Name { timed_out }),
            Ok(Err(e)) => {
                warn!(target: "health", host, error = %e, "the resolver does not answer: cannot check");
                Err(ResolveFailure::Local(LocalFault::Resolver))
            }
            Err(_) => {
                warn!(target: "health", host, "the resolver does not answer in time: cannot check");
                Err(ResolveFailure::Local(LocalFault::Resolver))
            }
        }
    }
}

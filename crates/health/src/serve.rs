//! Serving HTTP to strangers: connection caps and timeouts.
//!
//! `axum::serve` accepts every connection and waits on each for as long as
//! the client likes, so a client holding idle or half-sent requests can take
//! every file descriptor of the process, and with them the node's ability to
//! check anyone. [`serve`] bounds what one client can hold:
//!
//! - at most [`ServeLimits::max_connections`] connections at once, and at
//!   most [`ServeLimits::max_connections_per_client`] per client (IPv4 address,
//!   IPv6 /64); a connection over either cap is closed at once, before any
//!   byte is read;
//! - a request's headers must arrive within
//!   [`ServeLimits::header_read_timeout`] (this also bounds how long an idle
//!   keep-alive connection is held);
//! - a whole request, body and handler included, must finish within
//!   [`ServeLimits::request_timeout`] (HTTP 408 otherwise);
//! - a connection lives at most [`ServeLimits::connection_lifetime`].
//!
//! An `accept` that fails (for example with no file descriptor left) is
//! retried after a short pause instead of ending the server.

use crate::rate_limit::client_key;
use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
    Router,
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
    service::TowerToHyperService,
};
use std::{
    collections::HashMap,
    future::Future,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{net::TcpListener, sync::Semaphore, task::JoinSet};
use tower::ServiceExt;
use tracing::{debug, warn};

/// Bounds on what clients may hold of a server. [`Default`] gives the
/// values the node uses for its health endpoint and its API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections open at once, all clients together.
    pub max_connections: usize,
    /// Connections open at once from one client (IPv4 address, IPv6 /64).
    pub max_connections_per_client: usize,
    /// Time for a request's headers to arrive, counted from when the server
    /// starts waiting for them (so it also bounds keep-alive idling).
    pub header_read_timeout: Duration,
    /// Time for one whole request: body, handler and response head.
    pub request_timeout: Duration,
    /// Time a connection may stay open, whatever it does.
    pub connection_lifetime: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            max_connections_per_client: 8,
            header_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

impl ServeLimits {
    /// Refuses limits that cannot work.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.max_connections == 0 || self.max_connections_per_client == 0 {
            return Err("connection caps must not be zero");
        }
        if self.header_read_timeout.is_zero()
            || self.request_timeout.is_zero()
            || self.connection_lifetime.is_zero()
        {
            return Err("server timeouts must not be zero");
        }
        Ok(())
    }
}

/// Open connections per client.
#[derive(Debug, Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

impl PerClient {
    fn try_take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<ClientSlot> {
        let key = client_key(ip);
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            table: Arc::clone(self),
            key,
        })
    }
}

/// One open connection of one client; released on drop.
struct ClientSlot {
    table: Arc<PerClient>,
    key: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown`
/// completes; then stops accepting and closes the open connections.
/// Handlers see the client address as `ConnectInfo<SocketAddr>`.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    limits
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = Arc::new(PerClient::default());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // EMFILE and friends: the process is out of something. Wait
                // for connections to end instead of spinning or exiting.
                warn!(target: "serve", error = %e, "accept failed; pausing");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            debug!(target: "serve", %peer, "connection cap reached; closing");
            metrics::counter!("liveliness_http_connections_refused_total", "cap" => "global")
                .increment(1);
            continue;
        };
        let Some(client_slot) = per_client.try_take(peer.ip(), limits.max_connections_per_client)
        else {
            debug!(target: "serve", %peer, "per-client connection cap reached; closing");
            metrics::counter!("liveliness_http_connections_refused_total", "cap" => "client")
                .increment(1);
            continue;
        };
        let router = router.clone();
        connections.spawn(async move {
            let _slots = (slot, client_slot);
            let service = TowerToHyperService::new(tower::service_fn(
                move |mut request: Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    request.extensions_mut().insert(ConnectInfo(peer));
                    let request = request.map(Body::new);
                    async move {
                        match tokio::time::timeout(limits.request_timeout, router.oneshot(request))
                            .await
                        {
                            Ok(response) => response,
                            Err(_) => Ok::<Response, std::convert::Infallible>(
                                StatusCode::REQUEST_TIMEOUT.into_response(),
                            ),
                        }
                    }
                },
            ));
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let builder = builder.http1_only();
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(limits.connection_lifetime, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => debug!(target: "serve", %peer, error = %e, "connection ended"),
                Err(_) => debug!(target: "serve", %peer, "connection lifetime reached"),
            }
        });
    }
    connections.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_client_slots_are_counted_and_released() {
        let table = Arc::new(PerClient::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = table.try_take(a, 2).unwrap();
        let second = table.try_take(a, 2).unwrap();
        assert!(
            table.try_take(a, 2).is_none(),
            "third connection of one client"
        );
        assert!(
            table.try_take(b, 2).is_some(),
            "another client is not affected"
        );
        drop(first);
        let third = table.try_take(a, 2).unwrap();
        drop((second, third));
        assert!(
            table.0.lock().unwrap().get(&a).is_none(),
            "nothing left behind"
        );

        // One IPv6 /64 is one client.
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2::ffff".parse().unwrap();
        let _x = table.try_take(x, 1).unwrap();
        assert!(table.try_take(y, 1).is_none());
    }

    #[test]
    fn limits_are_validated() {
        assert!(ServeLimits::default().validate().is_ok());
        for bad in [
            ServeLimits {
                max_connections: 0,
                ..Default::default()
            },
            ServeLimits {
                max_connections_per_client: 0,
                ..Default::default()
            },
            ServeLimits {
                header_read_timeout: Duration::ZERO,
                ..Default::default()
            },
            ServeLimits {
                request_timeout: Duration::ZERO,
                ..Default::default()
            },
            ServeLimits {
                connection_lifetime: Duration::ZERO,
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}

//! The devnet's endpoint switch: each operator registers the address of a
//! TCP forwarder that normally passes connections to the node's health
//! endpoint. Flipping its mode takes the endpoint down, or hands it to an
//! impostor, without touching the node itself (which keeps attesting).

use std::{
    net::SocketAddr,
    sync::{Arc, RwLock},
};
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
};

/// Where connections go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// To the node's health endpoint.
    Forward(SocketAddr),
    /// Nowhere: accepted and closed at once (the endpoint is down).
    Down,
}

/// A running forwarder; it stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    mode: Arc<RwLock<Mode>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `target`.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), target).await
    }

    /// Listens on `bind` and forwards to `target`.
    pub async fn start_on(bind: SocketAddr, target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let mode = Arc::new(RwLock::new(Mode::Forward(target)));
        let shared = Arc::clone(&mode);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let mode = *shared.read().expect("not poisoned");
                tokio::spawn(async move {
                    if let Mode::Forward(to) = mode {
                        if let Ok(mut out) = TcpStream::connect(to).await {
                            let _ = copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    }
                    // Mode::Down: dropping `inbound` closes the connection.
                });
            }
        });
        Ok(Self { addr, mode, task })
    }

    /// The address operators register (`http://<addr>/`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Switches where new connections go.
    pub fn set(&self, mode: Mode) {
        *self.mode.write().expect("not poisoned") = mode;
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *self.mode.read().expect("not poisoned")
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

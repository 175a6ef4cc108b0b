//! The local Liveliness network: anvil with short blocks, the contracts, N
//! operators with encrypted keys, one `liveliness node` process per operator,
//! each endpoint behind a switch that can take it down, and a live view of
//! epochs, tasks and scores. `liveliness devnet` runs it; the end-to-end
//! tests drive it.

mod impostor;
mod live;
mod netns;
mod proxy;
mod rpc_fault;

pub use impostor::Lie;
pub use live::{run, Faults};
pub use netns::Netns;
pub use proxy::{Mode, Proxy};
pub use rpc_fault::{RpcFault, RpcProxy};

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use eyre::{eyre, WrapErr};
use liveliness_bls::KeyPair;
use liveliness_chain::{
    bindings::{registry::LivelinessRegistry as Reg, AttestationCenter, LivelinessRegistry},
    deploy, register_operator, set_voting_powers, DeployConfig, Deployment,
};
use liveliness_keys::{KdfStrength, KeyFiles};
use liveliness_node::NodeConfig;
use liveliness_primitives::EpochBlock;
use std::{
    net::{SocketAddr, TcpListener as StdListener},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// Password of the devnet's keystores (a local throwaway network).
pub const DEVNET_PASSWORD: &str = "devnet";
/// KDF cost of the devnet's keystores: light, because every node process decrypts two
/// keystores at start and a devnet starts many. Only for these throwaway keys; keystores
/// made by `liveliness keys` use the standard cost.
pub const DEVNET_KDF: KdfStrength = KdfStrength::InsecureTestOnly;

/// How the devnet is set up.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Number of operators (and node processes).
    pub operators: usize,
    /// Seconds per block.
    pub block_time: u64,
    /// Registry parameters.
    pub epoch_length: u32,
    /// Operators checked per epoch.
    pub sample_size: u32,
    /// Blocks per performer round.
    pub performer_timeout_blocks: u32,
    /// Blocks a task stays certifiable.
    pub task_validity_blocks: u32,
    /// Confirmation depth.
    pub confirmation_depth: u32,
    /// Health-check timeout.
    pub health_timeout_ms: u32,
    /// Penalty factor `C`.
    pub c: u64,
    /// Submit certificates that penalize nobody.
    pub submit_empty_tasks: bool,
    /// Working directory (keys, configs, stores); wiped at start.
    pub dir: PathBuf,
    /// The `liveliness` binary that runs the nodes.
    pub binary: PathBuf,
    /// The anvil binary.
    pub anvil: PathBuf,
    /// `RUST_LOG` of the nodes.
    pub log_filter: String,
    /// Print node output live, prefixed by the operator.
    pub echo_logs: bool,
    /// Run each node in its own network namespace ([`Netns`]; Linux, root
    /// only), so that gossip between nodes can be cut
    /// ([`Devnet::partition`]). Anvil's RPC and the endpoint switches are
    /// then served on the namespaces' hub address.
    pub namespaces: bool,
}

impl DevnetOptions {
    /// Defaults for `operators` nodes run by `binary`, in `dir`.
    pub fn new(operators: usize, binary: PathBuf, dir: PathBuf) -> Self {
        Self {
            operators,
            block_time: 1,
            epoch_length: 10,
            sample_size: 8,
            performer_timeout_blocks: 4,
            task_validity_blocks: 30,
            confirmation_depth: 1,
            health_timeout_ms: 1000,
            c: 50,
            submit_empty_tasks: false,
            dir,
            binary,
            anvil: anvil_path(),
            log_filter: "info,liveliness_p2p=warn,libp2p=warn".into(),
            echo_logs: false,
            namespaces: false,
        }
    }
}

/// The pinned anvil: `$LIVELINESS_ANVIL`, else `.tools/bin/anvil` under the
/// current directory or the source tree, else `anvil` on the `PATH`.
pub fn anvil_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LIVELINESS_ANVIL") {
        return PathBuf::from(p);
    }
    for base in [
        PathBuf::from("."),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    ] {
        let p = base.join(".tools/bin/anvil");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("anvil")
}

/// One operator of the devnet.
#[derive(Debug)]
pub struct DevnetNode {
    /// Index (0-based).
    pub index: usize,
    /// Operator id in the AttestationCenter.
    pub id: u64,
    /// Its ECDSA key.
    pub signer: PrivateKeySigner,
    /// Its directory.
    pub dir: PathBuf,
    /// Its node configuration.
    pub config: NodeConfig,
    /// Where the configuration is written.
    pub config_path: PathBuf,
    /// The switch in front of its health endpoint (the registered endpoint).
    pub proxy: Proxy,
    /// When set, the process starts with this open-file limit, soft and
    /// hard (through util-linux `prlimit`), so that it cannot raise it.
    pub open_file_limit: Option<u64>,
    /// A forwarder between the node and anvil that can be made faulty
    /// ([`Devnet::put_rpc_proxy`]).
    pub rpc_proxy: Option<RpcProxy>,
    child: Option<Child>,
    /// Every line the node process printed.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl DevnetNode {
    /// The operator address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Whether the log holds a line containing `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log
            .lock()
            .expect("not poisoned")
            .iter()
            .any(|l| l.contains(needle))
    }

    /// How many log lines contain `needle`.
    pub fn count_logged(&self, needle: &str) -> usize {
        self.log
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// If the node process has exited: its status (the node is then marked
    /// stopped).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(status)
    }

    /// The process id of the running node.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The running node's peak resident memory so far, in KiB (Linux
    /// `VmHWM`).
    pub fn peak_memory_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// Whether the node process runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// `GET path` on the node's read API, as JSON; `None` if it does not
    /// answer within 5 s or with anything else.
    pub async fn api_json(&self, path: &str) -> Option<serde_json::Value> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .ok()?;
        let response = client
            .get(format!("http://{}{path}", self.config.api_listen))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    /// The operators the node holds a verified peer binding of
    /// (`/api/peers`), with how many peers each.
    pub async fn bound_operators(&self) -> Option<std::collections::BTreeMap<Address, usize>> {
        let rows = self.api_json("/api/peers").await?;
        let mut out = std::collections::BTreeMap::new();
        for row in rows.as_array()? {
            let op: Address = row["operator"].as_str()?.parse().ok()?;
            *out.entry(op).or_default() += 1;
        }
        Some(out)
    }

    /// The node's head and the epoch blocks it holds (`/api/status`).
    pub async fn head_and_epochs(&self) -> Option<(u64, Vec<EpochBlock>)> {
        let status = self.api_json("/api/status").await?;
        let epochs = status["epochs"]
            .as_array()?
            .iter()
            .map(|e| e["epoch_block"].as_u64().map(EpochBlock))
            .collect::<Option<Vec<EpochBlock>>>()?;
        Some((status["head"].as_u64()?, epochs))
    }
}

/// An operator's standing in the registry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    /// Operator address.
    pub operator: Address,
    /// Lifetime penalties.
    pub penalties: u64,
    /// Penalty points.
    pub points: u64,
    /// Liveliness score.
    pub score: u64,
}

/// A running devnet; everything stops when it is dropped.
#[derive(Debug)]
pub struct Devnet {
    anvil: AnvilInstance,
    /// The anvil RPC URL.
    pub rpc_url: String,
    /// A provider whose wallet holds the owner's and every operator's key.
    pub provider: DynProvider,
    /// The contracts.
    pub deployment: Deployment,
    /// The operators.
    pub nodes: Vec<DevnetNode>,
    /// The options it was started with.
    pub options: DevnetOptions,
    /// The forwarder to anvil on the hub address, when nodes run in
    /// namespaces.
    _hub_rpc: Option<RpcProxy>,
    /// The nodes' namespaces, if any (dropped last, after the nodes).
    netns: Option<Netns>,
}

/// Writes a new file that only its owner can read (unix): nodes refuse a password file
/// others can access.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn free_port() -> eyre::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Devnet {
    /// Starts anvil, deploys, creates keys, registers every operator and
    /// writes the node configurations; starts no node yet (see
    /// [`start_nodes`](Self::start_nodes)).
    pub async fn setup(options: DevnetOptions) -> eyre::Result<Self> {
        if options.operators == 0 {
            return Err(eyre!("a devnet needs at least one operator"));
        }
        if options.dir.exists() {
            std::fs::remove_dir_all(&options.dir)
                .wrap_err_with(|| format!("cannot clear {}", options.dir.display()))?;
        }
        std::fs::create_dir_all(&options.dir)?;
        let netns = if options.namespaces {
            Some(Netns::create(options.operators)?)
        } else {
            None
        };
        let accounts = u32::try_from(options.operators + 1)?;
        let anvil = Anvil::at(&options.anvil)
            .arg("--host")
            .arg("127.0.0.1")
            .port(free_port()?)
            .block_time(options.block_time)
            .args(["--hardfork", "prague", "--accounts", &accounts.to_string()])
            .args(["--gas-limit", "100000000"])
            // Well past alloy's 10 s default: a busy 2-core machine can be slow
            // to start anvil with many funded accounts.
            .timeout(60_000)
            .try_spawn()
            .wrap_err_with(|| {
                format!(
                    "cannot start anvil at {} (run scripts/install-tools.sh)",
                    options.anvil.display()
                )
            })?;
        let rpc_url = anvil.endpoint();
        // Nodes in namespaces reach anvil through a forwarder on the hub.
        let hub_rpc = match &netns {
            Some(ns) => {
                Some(RpcProxy::start_on(SocketAddr::from((ns.hub_ip(), 0)), &rpc_url).await?)
            }
            None => None,
        };
        let node_rpc_url = hub_rpc
            .as_ref()
            .map_or_else(|| rpc_url.clone(), RpcProxy::url);
        let keys = anvil.keys().to_vec();
        let owner = PrivateKeySigner::from(keys[0].clone());
        let mut wallet = EthereumWallet::from(owner);
        let signers: Vec<PrivateKeySigner> = keys[1..]
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()))
            .collect();
        for s in &signers {
            wallet.register_signer(s.clone());
        }
        let provider = ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(rpc_url.parse()?)
            .erased();

        let deployment = deploy(
            &provider,
            &DeployConfig {
                max_task_age: 256,
                c: Some(options.c),
                epoch_length: Some(options.epoch_length),
                sample_size: Some(options.sample_size),
                performer_timeout_blocks: Some(options.performer_timeout_blocks),
                task_validity_blocks: Some(options.task_validity_blocks),
                confirmation_depth: Some(options.confirmation_depth),
                health_timeout_ms: Some(options.health_timeout_ms),
                ..DeployConfig::default()
            },
        )
        .await
        .wrap_err("deploying the contracts")?;
        std::fs::write(
            options.dir.join("deployment.json"),
            serde_json::to_vec_pretty(&deployment)?,
        )?;

        // The nodes' ports stay bound here until setup ends, so that the
        // endpoint switches (and anything else binding port 0 meanwhile)
        // cannot be handed one of them.
        let reserved: Vec<[StdListener; 3]> = (0..options.operators)
            .map(|_| {
                let bind = || StdListener::bind("127.0.0.1:0");
                Ok([bind()?, bind()?, bind()?])
            })
            .collect::<eyre::Result<_>>()?;
        let ports: Vec<(u16, u16, u16)> = reserved
            .iter()
            .map(|[a, b, c]| {
                Ok((
                    a.local_addr()?.port(),
                    b.local_addr()?.port(),
                    c.local_addr()?.port(),
                ))
            })
            .collect::<eyre::Result<_>>()?;
        let mut nodes = Vec::with_capacity(options.operators);
        let mut bls_keys = Vec::with_capacity(options.operators);
        for (index, signer) in signers.into_iter().enumerate() {
            let dir = options.dir.join(format!("op{}", index + 1));
            let files = KeyFiles::in_dir(&dir);
            std::fs::create_dir_all(&dir)?;
            liveliness_keys::save_ecdsa(&files.ecdsa_path, &signer, DEVNET_PASSWORD, DEVNET_KDF)?;
            let bls = KeyPair::random(&mut rand::rngs::OsRng);
            liveliness_keys::save_bls(&files.bls_path, &bls, DEVNET_PASSWORD, DEVNET_KDF)?;
            let password_file = dir.join("password");
            write_private(&password_file, DEVNET_PASSWORD)?;
            bls_keys.push(bls);
            let (health, api, p2p) = ports[index];
            // Where node `j` listens: loopback, or its namespace's address.
            let host = |j: usize| {
                netns
                    .as_ref()
                    .map_or(std::net::Ipv4Addr::LOCALHOST, |ns| ns.node_ip(j))
            };
            let hub = netns
                .as_ref()
                .map_or(std::net::Ipv4Addr::LOCALHOST, Netns::hub_ip);
            let health_listen = SocketAddr::from((host(index), health));
            let proxy = Proxy::start_on(SocketAddr::from((hub, 0)), health_listen).await?;
            let bootstrap = ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != index)
                .map(|(j, (_, _, p))| format!("/ip4/{}/tcp/{p}", host(j)))
                .collect();
            let config = NodeConfig {
                rpc_urls: vec![node_rpc_url.clone()],
                rpc_ca_file: None,
                attestation_center: deployment.attestation_center,
                registry: deployment.registry,
                data_dir: dir.join("data"),
                ecdsa_keystore: files.ecdsa_path.clone(),
                bls_keystore: files.bls_path.clone(),
                password_file: Some(password_file),
                health_listen,
                api_listen: SocketAddr::from((host(index), api)),
                p2p_listen: format!("/ip4/{}/tcp/{p2p}", host(index)),
                bootstrap,
                allow_loopback: true,
                // Endpoints on the namespaces' hub are private addresses.
                allow_private: netns.is_some(),
                poll_interval_ms: 250,
                submit_empty_tasks: options.submit_empty_tasks,
                aggregator_slot_blocks: 2,
                task_definition_id: 1,
                retention_epochs: 1000,
                misbehaviour: Default::default(),
            };
            let config_path = dir.join("node.toml");
            std::fs::write(&config_path, config.to_toml())?;
            nodes.push(DevnetNode {
                index,
                id: 0,
                signer,
                dir,
                config,
                config_path,
                proxy,
                open_file_limit: None,
                rpc_proxy: None,
                child: None,
                log: Arc::new(Mutex::new(Vec::new())),
            });
        }
        // Registrations go out together: with short blocks, one at a time
        // would take a block each.
        let ids = futures::future::try_join_all(nodes.iter().zip(&bls_keys).map(|(node, bls)| {
            register_operator(
                &provider,
                deployment.attestation_center,
                node.address(),
                bls,
            )
        }))
        .await
        .wrap_err("registering operators")?;
        for (node, id) in nodes.iter_mut().zip(&ids) {
            node.id = *id;
        }
        set_voting_powers(
            &provider,
            deployment.attestation_center,
            &ids,
            &vec![100; ids.len()],
        )
        .await
        .wrap_err("setting voting power")?;
        let registry = LivelinessRegistry::new(deployment.registry, &provider);
        futures::future::try_join_all(nodes.iter().map(|node| {
            let call = registry.register(node.proxy.url()).from(node.address());
            async move {
                call.call()
                    .await
                    .map_err(|e| eyre!("registering endpoint: {}", describe(&e)))?;
                call.send().await?.get_receipt().await?;
                Ok::<_, eyre::Report>(())
            }
        }))
        .await?;
        drop(reserved);
        Ok(Self {
            anvil,
            rpc_url,
            provider,
            deployment,
            nodes,
            options,
            _hub_rpc: hub_rpc,
            netns,
        })
    }

    /// [`setup`](Self::setup) and [`start_nodes`](Self::start_nodes).
    pub async fn start(options: DevnetOptions) -> eyre::Result<Self> {
        let mut net = Self::setup(options).await?;
        net.start_nodes()?;
        Ok(net)
    }

    /// Starts every node process that is not running.
    pub fn start_nodes(&mut self) -> eyre::Result<()> {
        for i in 0..self.nodes.len() {
            if !self.nodes[i].is_running() {
                self.start_node(i)?;
            }
        }
        Ok(())
    }

    /// Puts an [`RpcProxy`] between node `i` and anvil: its only RPC URL
    /// becomes the proxy's. Takes effect at the node's next start.
    pub async fn put_rpc_proxy(&mut self, i: usize) -> eyre::Result<()> {
        let proxy = RpcProxy::start(&self.rpc_url).await?;
        self.nodes[i].config.rpc_urls = vec![proxy.url()];
        self.nodes[i].rpc_proxy = Some(proxy);
        self.write_config(i)
    }

    /// Makes node `i`'s RPC proxy misbehave (or behave again).
    ///
    /// # Panics
    /// If the node has no RPC proxy.
    pub fn set_rpc_fault(&self, i: usize, fault: RpcFault) {
        self.nodes[i]
            .rpc_proxy
            .as_ref()
            .expect("put_rpc_proxy first")
            .set(fault);
    }

    /// Rewrites node `i`'s configuration (e.g. after changing its
    /// misbehaviour); takes effect at its next start.
    pub fn write_config(&self, i: usize) -> eyre::Result<()> {
        let node = &self.nodes[i];
        std::fs::write(&node.config_path, node.config.to_toml())?;
        Ok(())
    }

    /// Starts node `i`'s process.
    pub fn start_node(&mut self, i: usize) -> eyre::Result<()> {
        let echo = self.options.echo_logs;
        let node = &mut self.nodes[i];
        // `ip netns exec` and `prlimit` both exec the next program, so the
        // child's pid is the node's.
        let mut program: Vec<std::ffi::OsString> = Vec::new();
        if let Some(ns) = &self.netns {
            program.extend([
                "ip".into(),
                "netns".into(),
                "exec".into(),
                ns.node_ns(i).into(),
            ]);
        }
        if let Some(limit) = node.open_file_limit {
            program.extend([
                "prlimit".into(),
                format!("--nofile={limit}:{limit}").into(),
                "--".into(),
            ]);
        }
        program.push(self.options.binary.clone().into());
        let mut command = Command::new(&program[0]);
        command.args(&program[1..]);
        let mut child = command
            .arg("node")
            .arg("--config")
            .arg(&node.config_path)
            .env("RUST_LOG", &self.options.log_filter)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", self.options.binary.display()))?;
        let prefix = format!("op{}", i + 1);
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let log = Arc::clone(&node.log);
            let prefix = prefix.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if echo {
                        println!("[{prefix}] {line}");
                    }
                    log.lock().expect("not poisoned").push(line);
                }
            });
        }
        node.child = Some(child);
        Ok(())
    }

    /// Stops node `i`'s process (SIGKILL: nothing is flushed on purpose, the
    /// store must survive it).
    pub async fn stop_node(&mut self, i: usize) -> eyre::Result<()> {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Stops every node process.
    pub async fn stop(&mut self) {
        for i in 0..self.nodes.len() {
            let _ = self.stop_node(i).await;
        }
    }

    /// Waits until every running node follows the chain (holds an epoch,
    /// `/api/status`) and holds a peer binding of every other running node
    /// (`/api/peers`); returns the first epoch block after that moment (from
    /// which on every node can take part fully).
    pub async fn wait_ready(&self, timeout: Duration) -> eyre::Result<EpochBlock> {
        let running: Vec<&DevnetNode> = self.nodes.iter().filter(|n| n.is_running()).collect();
        wait_for(timeout, || async {
            for n in &running {
                let (_, epochs) = n.head_and_epochs().await?;
                let bound = n.bound_operators().await?;
                let all = running
                    .iter()
                    .filter(|m| m.index != n.index)
                    .all(|m| bound.contains_key(&m.address()));
                if epochs.is_empty() || !all {
                    return None;
                }
            }
            Some(())
        })
        .await
        .ok_or_else(|| eyre!("nodes not ready within {timeout:?}"))?;
        let l = u64::from(self.options.epoch_length);
        Ok(EpochBlock((self.head().await? / l + 1) * l))
    }

    /// The nodes' namespaces, when started with
    /// [`DevnetOptions::namespaces`].
    pub fn netns(&self) -> Option<&Netns> {
        self.netns.as_ref()
    }

    /// Cuts all traffic between the nodes of different `groups` (node
    /// indices), gossip included, while every node keeps reaching anvil and
    /// every endpoint through the hub. Needs
    /// [`DevnetOptions::namespaces`].
    pub fn partition(&self, groups: &[&[usize]]) -> eyre::Result<()> {
        self.netns
            .as_ref()
            .ok_or_else(|| eyre!("partitions need DevnetOptions::namespaces"))?
            .partition(groups)
    }

    /// Ends a [`partition`](Self::partition).
    pub fn heal(&self) -> eyre::Result<()> {
        match &self.netns {
            Some(ns) => ns.heal(),
            None => Ok(()),
        }
    }

    /// Points node `i`'s registered endpoint somewhere else.
    pub fn set_endpoint(&self, i: usize, mode: Mode) {
        self.nodes[i].proxy.set(mode);
    }

    /// Node `i`'s real health endpoint.
    pub fn health_addr(&self, i: usize) -> SocketAddr {
        self.nodes[i].config.health_listen
    }

    /// Hands node `i`'s endpoint to an impostor that lies as told.
    pub async fn impersonate(&self, i: usize, lie: Lie) -> eyre::Result<()> {
        let addr =
            impostor::start(lie, self.provider.clone(), self.nodes[i].signer.clone()).await?;
        self.set_endpoint(i, Mode::Forward(addr));
        Ok(())
    }

    /// The chain head.
    pub async fn head(&self) -> eyre::Result<u64> {
        Ok(self.provider.get_block_number().await?)
    }

    /// Every operator's standing.
    pub async fn standings(&self) -> eyre::Result<Vec<Standing>> {
        let registry = LivelinessRegistry::new(self.deployment.registry, &self.provider);
        let mut out = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let op = node.address();
            let to_u64 = |v: U256| u64::try_from(v).unwrap_or(u64::MAX);
            out.push(Standing {
                operator: op,
                penalties: to_u64(registry.penalties(op).call().await?),
                points: to_u64(registry.penaltyPoints(op).call().await?),
                score: to_u64(registry.getLivelinessScore(op).call().await?),
            });
        }
        Ok(out)
    }

    /// Tasks that landed (`TaskSubmitted`) and were rejected (`TaskRejected`)
    /// since the deployment: `(approved, rejected)` as
    /// `(reference block, performer)`.
    pub async fn landed_tasks(
        &self,
    ) -> eyre::Result<(Vec<(EpochBlock, Address)>, Vec<(EpochBlock, Address)>)> {
        let filter = Filter::new()
            .address(self.deployment.attestation_center)
            .from_block(self.deployment.deployed_at_block);
        let logs = self.provider.get_logs(&filter).await?;
        let mut approved = Vec::new();
        let mut rejected = Vec::new();
        for log in logs {
            if let Ok(e) = AttestationCenter::TaskSubmitted::decode_log(&log.inner) {
                approved.push((EpochBlock::from(e.data.referenceBlock), e.data.performer));
            } else if let Ok(e) = AttestationCenter::TaskRejected::decode_log(&log.inner) {
                rejected.push((EpochBlock::from(e.data.referenceBlock), e.data.performer));
            }
        }
        Ok((approved, rejected))
    }

    /// Penalties since the deployment: `(operator, epoch block, performer fault)`.
    pub async fn penalties(&self) -> eyre::Result<Vec<(Address, EpochBlock, bool)>> {
        let filter = Filter::new()
            .address(self.deployment.registry)
            .event_signature(Reg::OperatorPenalized::SIGNATURE_HASH)
            .from_block(self.deployment.deployed_at_block);
        let logs = self.provider.get_logs(&filter).await?;
        Ok(logs
            .iter()
            .filter_map(|l| Reg::OperatorPenalized::decode_log(&l.inner).ok())
            .map(|e| {
                (
                    e.data.op,
                    EpochBlock(u64::try_from(e.data.epochBlock).unwrap_or(u64::MAX)),
                    e.data.performerFault,
                )
            })
            .collect())
    }

    /// The anvil instance.
    pub fn anvil(&self) -> &AnvilInstance {
        &self.anvil
    }

    /// The devnet directory.
    pub fn dir(&self) -> &Path {
        &self.options.dir
    }
}

fn describe(e: &alloy::contract::Error) -> String {
    e.as_revert_data()
        .and_then(|d| liveliness_chain::revert::decode(&d))
        .map(|(_, detail)| detail)
        .unwrap_or_else(|| e.to_string())
}

/// Polls `check` every 250 ms until it returns `Some` or `timeout` passes.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

//! Network namespaces for the devnet's nodes (Linux, root only), so that a
//! test can cut the gossip between groups of nodes while each still reaches
//! anvil and every health endpoint.
//!
//! Layout, all of it created by [`Netns::create`] and removed when it is
//! dropped:
//!
//! - a switch namespace holding a bridge;
//! - one namespace per node, with one veth into the bridge and the address
//!   `10.a.b.(i + 2)/24`;
//! - a veth from the root namespace into the bridge, with the hub address
//!   `10.a.b.1/24` on the root side. The devnet's forwarders (anvil's RPC,
//!   the endpoint switches) listen there; nothing is routed further.
//!
//! [`Netns::partition`] installs `blackhole` routes in each node namespace
//! for the addresses of the nodes outside its group: packets between groups
//! are dropped silently, as on a cut link, while traffic to and from the hub
//! (RPC, health checks through the switches, the test's API reads) flows.
//! [`Netns::heal`] removes them.

use eyre::{eyre, WrapErr};
use std::{net::Ipv4Addr, process::Command, sync::Mutex};

/// Namespaces, a bridge and veths for `n` nodes; removed on drop.
#[derive(Debug)]
pub struct Netns {
    prefix: String,
    subnet: [u8; 2],
    nodes: usize,
    /// The blackhole routes in place: `(node, address)`.
    cut: Mutex<Vec<(usize, Ipv4Addr)>>,
}

fn ip(args: &[&str]) -> eyre::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .wrap_err("cannot run `ip` (iproute2)")?;
    if !out.status.success() {
        return Err(eyre!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

impl Netns {
    /// Creates the namespaces for `nodes` nodes. Fails with a message that
    /// says so when the process may not create namespaces (not root).
    pub fn create(nodes: usize) -> eyre::Result<Self> {
        if nodes == 0 || nodes > 200 {
            return Err(eyre!("1 to 200 nodes in namespaces, not {nodes}"));
        }
        static INSTANCES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let instance = INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 16;
        let pid = std::process::id();
        // Unique per process and instance (and short: interface names have
        // 15 bytes).
        let prefix = format!("lv{:x}{instance:x}", pid & 0xff_ffff);
        let subnet = Self::free_subnet(pid.wrapping_mul(16).wrapping_add(instance))?;
        let me = Self {
            prefix,
            subnet,
            nodes,
            cut: Mutex::new(Vec::new()),
        };
        let sw = me.switch_ns();
        ip(&["netns", "add", &sw]).map_err(|e| {
            e.wrap_err(
                "cannot create a network namespace: this test needs root (CAP_SYS_ADMIN and \
                 CAP_NET_ADMIN) and iproute2",
            )
        })?;
        // From here on, `me` cleans up whatever exists if a step fails.
        me.build().map(|()| me)
    }

    fn build(&self) -> eyre::Result<()> {
        let sw = self.switch_ns();
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        let hub = self.hub_link();
        ip(&[
            "link", "add", &hub, "type", "veth", "peer", "name", "hub", "netns", &sw,
        ])?;
        ip(&["-n", &sw, "link", "set", "hub", "master", "br0", "up"])?;
        ip(&["addr", "add", &format!("{}/24", self.hub_ip()), "dev", &hub])?;
        ip(&["link", "set", &hub, "up"])?;
        for i in 0..self.nodes {
            let ns = self.node_ns(i);
            let port = format!("p{i}");
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&[
                "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns",
                &sw,
            ])?;
            ip(&["-n", &sw, "link", "set", &port, "master", "br0", "up"])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", self.node_ip(i)),
                "dev",
                "eth0",
            ])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        }
        Ok(())
    }

    /// A /24 in 10.0.0.0/8 that no route of the root namespace covers.
    fn free_subnet(pid: u32) -> eyre::Result<[u8; 2]> {
        let routes = Command::new("ip")
            .args(["-4", "route", "show", "table", "all"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let base = pid.to_be_bytes();
        for k in 0u8..=255 {
            let subnet = [200u8.wrapping_add(base[3] % 50), base[2].wrapping_add(k)];
            let net = format!("10.{}.{}.", subnet[0], subnet[1]);
            if !routes.contains(&net) {
                return Ok(subnet);
            }
        }
        Err(eyre!("no free 10.x.y.0/24 for the namespaces"))
    }

    fn switch_ns(&self) -> String {
        format!("{}-sw", self.prefix)
    }

    fn hub_link(&self) -> String {
        format!("{}h", self.prefix)
    }

    /// The namespace node `i` runs in (for `ip netns exec`).
    pub fn node_ns(&self, i: usize) -> String {
        format!("{}-n{i}", self.prefix)
    }

    /// The root namespace's address on the bridge, where the devnet's
    /// forwarders listen.
    pub fn hub_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.subnet[0], self.subnet[1], 1)
    }

    /// Node `i`'s address.
    ///
    /// # Panics
    /// If `i` is not a node of this layout.
    pub fn node_ip(&self, i: usize) -> Ipv4Addr {
        assert!(i < self.nodes, "no node {i}");
        let host = u8::try_from(i + 2).expect("at most 200 nodes");
        Ipv4Addr::new(10, self.subnet[0], self.subnet[1], host)
    }

    /// Cuts every node's traffic to the nodes of the other groups (both
    /// ways, since every node gets routes): `groups` lists node indices;
    /// nodes in no group keep reaching everyone. Replaces an earlier
    /// partition.
    pub fn partition(&self, groups: &[&[usize]]) -> eyre::Result<()> {
        self.heal()?;
        let mut cut = self.cut.lock().expect("not poisoned");
        for (g, group) in groups.iter().enumerate() {
            for &i in *group {
                for (h, other) in groups.iter().enumerate() {
                    if g == h {
                        continue;
                    }
                    for &j in *other {
                        let to = self.node_ip(j);
                        ip(&[
                            "-n",
                            &self.node_ns(i),
                            "route",
                            "add",
                            "blackhole",
                            &format!("{to}/32"),
                        ])?;
                        cut.push((i, to));
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes the partition's routes.
    pub fn heal(&self) -> eyre::Result<()> {
        let mut cut = self.cut.lock().expect("not poisoned");
        while let Some((i, to)) = cut.pop() {
            ip(&[
                "-n",
                &self.node_ns(i),
                "route",
                "del",
                "blackhole",
                &format!("{to}/32"),
            ])?;
        }
        Ok(())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of each veth, and with it the
        // other end. Processes still inside keep theirs alive until they
        // exit; the devnet's node processes are killed before this runs.
        for i in 0..self.nodes {
            let _ = ip(&["netns", "del", &self.node_ns(i)]);
        }
        let _ = ip(&["link", "del", &self.hub_link()]);
        let _ = ip(&["netns", "del", &self.switch_ns()]);
    }
}

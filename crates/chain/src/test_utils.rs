//! Helpers for tests that need a real chain: an anvil process on a free
//! loopback port, killed when the handle drops.

use alloy::node_bindings::{Anvil, AnvilInstance};
use std::path::PathBuf;

/// Where the pinned anvil is: `$LIVELINESS_ANVIL`, else the project's
/// `.tools/bin/anvil` (installed by `scripts/install-tools.sh`), else `anvil`
/// on the `PATH`.
pub fn anvil_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LIVELINESS_ANVIL") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/anvil");
    if local.exists() {
        return local;
    }
    PathBuf::from("anvil")
}

/// How long a test waits for anvil to start listening.
pub const ANVIL_START_TIMEOUT_MS: u64 = 60_000;

/// Starts anvil on 127.0.0.1 with a port the OS picks, the Prague hardfork
/// (the contracts' pinned EVM version), instant mining and `accounts`
/// pre-funded accounts.
///
/// # Panics
/// When anvil cannot be started: tests want to fail loudly then.
pub fn spawn_anvil(accounts: u32) -> AnvilInstance {
    Anvil::at(anvil_path())
        .host("127.0.0.1")
        .args(["--hardfork", "prague", "--accounts", &accounts.to_string()])
        .args(["--gas-limit", "100000000"])
        // A loaded 2-core CI machine can take well over alloy's default 10 s
        // to start anvil with a hundred funded accounts.
        .timeout(ANVIL_START_TIMEOUT_MS)
        .try_spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start anvil at {} ({e}); run scripts/install-tools.sh",
                anvil_path().display()
            )
        })
}

#!/usr/bin/env bash
# The local network in one command: installs the pinned tools when missing,
# builds the node in release mode and runs `liveliness devnet` (anvil with
# 1-second blocks, the contracts, N operators, one node process each, and a
# live view). Arguments go to `liveliness devnet`, e.g. `--operators 6
# --faulty 1`. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh >&2
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --locked -p liveliness >&2
export LIVELINESS_ANVIL="$root/.tools/bin/anvil"
exec "$CARGO_TARGET_DIR/release/liveliness" devnet "$@"

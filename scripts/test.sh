#!/usr/bin/env bash
# The whole test suite: contract tests (forge), Rust tests (unit,
# integration and the cross-boundary tests that run a real anvil) and the
# EigenLayer tests against EigenLayer's core contracts (eigenlayer/).
# Installs the pinned tools first when they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
export PATH="$root/.tools/bin:$PATH"

echo "== forge test" >&2
(cd contracts && forge test)

echo "== cargo test" >&2
cargo test --workspace --all-targets "$@"

echo "== EigenLayer cross-boundary tests (eigenlayer/, its own workspace)" >&2
bash scripts/eigenlayer-test.sh

#!/usr/bin/env bash
# The EigenLayer cross-boundary tests: EigenLayer's core contracts (v1.3.0
# bytecode from the eigenlayer-contract-deployer crate) deployed behind their
# proxies on a fresh anvil per test, and an operator that deposits, registers,
# allocates and registers for an operator set (docs/EIGENLAYER.md).
#
# eigenlayer/ is its own cargo workspace, outside the main one: this script is
# what builds it. It prints how long the build and the tests took, cold (empty
# target directory) or warm alike.
#   bash scripts/eigenlayer-test.sh          build and run the tests
#   bash scripts/eigenlayer-test.sh --lint   also cargo fmt --check and clippy -D warnings
# CARGO_TARGET_DIR is honoured; by default the crate builds in
# ~/.cache/liveliness-eigenlayer-target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
export PATH="$root/.tools/bin:$PATH"
export LIVELINESS_ANVIL="${LIVELINESS_ANVIL:-$root/.tools/bin/anvil}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/liveliness-eigenlayer-target}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cd eigenlayer

elapsed() { echo $(($(date +%s) - $1)); }

if [ "${1:-}" = "--lint" ]; then
  echo "== eigenlayer: fmt and clippy" >&2
  t=$(date +%s)
  cargo fmt --check
  cargo clippy --locked --all-targets -- -D warnings
  echo "eigenlayer: lint took $(elapsed "$t") s" >&2
fi

echo "== eigenlayer: build (target dir $CARGO_TARGET_DIR)" >&2
t=$(date +%s)
cargo test --locked --all-targets --no-run
echo "eigenlayer: build took $(elapsed "$t") s" >&2

echo "== eigenlayer: tests" >&2
t=$(date +%s)
cargo test --locked --all-targets -- --nocapture
echo "eigenlayer: tests took $(elapsed "$t") s" >&2

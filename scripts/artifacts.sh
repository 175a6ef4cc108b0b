#!/usr/bin/env bash
# Regenerates the compiled contract artifacts that the Rust crates deploy and
# bind to (crates/chain/artifacts/*.json: ABI and creation bytecode; and
# eigenlayer/artifacts/*.json, the contracts of the EigenLayer tests), so that
# the Rust build never needs Foundry.
#   bash scripts/artifacts.sh          write them
#   bash scripts/artifacts.sh --check  fail if the committed ones drift from the sources
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
mode=${1:-write}

(cd contracts && "$root/.tools/bin/forge" build --force >/dev/null)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# slim SET DEST CONTRACT...: writes the ABI and bytecode of each contract to
# $out/SET, then writes them to DEST or (with --check) compares.
slim() {
  local set=$1 dest=$2
  shift 2
  mkdir -p "$out/$set"
  for c in "$@"; do
    node - "$root/contracts/out/$c.sol/$c.json" "$out/$set/$c.json" "$c" <<'JS'
const fs = require('fs');
const [src, dst, name] = process.argv.slice(2);
const a = JSON.parse(fs.readFileSync(src, 'utf8'));
const slim = {
  contractName: name,
  abi: a.abi,
  bytecode: { object: a.bytecode.object },
  deployedBytecode: { object: a.deployedBytecode.object },
};
fs.writeFileSync(dst, JSON.stringify(slim, null, 1) + '\n');
JS
  done
  if [ "$mode" = "--check" ]; then
    if ! diff -r -q "$out/$set" "$root/$dest" >/dev/null 2>&1; then
      diff -r -q "$out/$set" "$root/$dest" || true
      echo "artifacts: $dest drift from contracts/; run: bash scripts/artifacts.sh" >&2
      exit 1
    fi
    echo "artifacts: $dest up to date" >&2
  else
    mkdir -p "$root/$dest"
    rm -f "$root/$dest"/*.json
    cp "$out/$set"/*.json "$root/$dest"/
    echo "artifacts: written to $dest" >&2
  fi
}

slim chain crates/chain/artifacts AttestationCenter LivelinessRegistry ReputationGate
# The contracts of the EigenLayer tests (eigenlayer/, its own cargo workspace).
slim eigenlayer eigenlayer/artifacts TestERC20 TestAVSRegistrar

#!/usr/bin/env bash
# Regenerates the compiled contract artifacts that the Rust crates deploy and
# bind to (crates/chain/artifacts/*.json: ABI and creation bytecode), so that
# the Rust build never needs Foundry.
#   bash scripts/artifacts.sh          write them
#   bash scripts/artifacts.sh --check  fail if the committed ones drift from the sources
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
CONTRACTS="AttestationCenter LivelinessRegistry ReputationGate"
dest="$root/crates/chain/artifacts"
mode=${1:-write}

(cd contracts && "$root/.tools/bin/forge" build --force >/dev/null)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for c in $CONTRACTS; do
  node - "$root/contracts/out/$c.sol/$c.json" "$out/$c.json" "$c" <<'JS'
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
  if ! diff -r -q "$out" "$dest" >/dev/null 2>&1; then
    diff -r -q "$out" "$dest" || true
    echo "artifacts: crates/chain/artifacts drift from contracts/src; run: bash scripts/artifacts.sh" >&2
    exit 1
  fi
  echo "artifacts: up to date" >&2
else
  mkdir -p "$dest"
  rm -f "$dest"/*.json
  cp "$out"/*.json "$dest"/
  echo "artifacts: written to crates/chain/artifacts" >&2
fi

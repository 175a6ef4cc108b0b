#!/usr/bin/env bash
# Gas benchmark of submitTask: runs the forge GasBench suite (which asserts
# the gas bars) and writes its table to docs/GAS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd contracts && "$root/.tools/bin/forge" test --match-contract GasBench -vv) | tee "$log" >&2
{
  echo "# submitTask gas"
  echo
  echo "Written by \`bash scripts/gas-bench.sh\` ($(.tools/bin/forge --version | head -1 | sed 's/forge //'), solc $(.tools/bin/solc --version | sed -n 's/^Version: //p'), EVM version from contracts/foundry.toml)."
  echo
  grep -E '^\s*\|' "$log" | sed -E 's/^\s+//'
} > docs/GAS.md
echo "gas-bench: wrote docs/GAS.md" >&2

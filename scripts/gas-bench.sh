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
  echo "Written by \`bash scripts/gas-bench.sh\` with forge $(.tools/bin/forge --version | head -1 | sed -E 's/^forge (Version: )?//'), solc $(.tools/bin/solc --version | sed -n 's/^Version: //p'), EVM version \`$(sed -nE 's/^evm_version *= *"([^"]+)".*/\1/p' contracts/foundry.toml)\` (pinned in contracts/foundry.toml). Each row is one isolated transaction (forge \`isolate = true\`)."
  echo
  echo "Columns: N registered attesters (voting power 1 each); non-signers among them; operators named unhealthy (one penalty each); how many hash-to-G1 tries the message needed (each extra try costs about 1,760 gas); gas of the BLS verification alone; execution gas of submitTask; calldata size; estimated whole-transaction gas (execution + 21,000 + calldata cost)."
  echo
  grep -E '^\s*\|' "$log" | sed -E 's/^\s+//'
  echo
  echo '```'
  sed -n '/Bars:/,/tx at N=100/p' "$log" | sed -E 's/^\s+//'
  echo '```'
  echo
  echo "The cross-boundary test \`submit_task_at_100_attesters_one_penalty_costs_under_250k_gas\` (crates/chain/tests/it) sends the same case as a real transaction to anvil and asserts the receipt's gasUsed stays under 250,000."
} > docs/GAS.md
echo "gas-bench: wrote docs/GAS.md" >&2

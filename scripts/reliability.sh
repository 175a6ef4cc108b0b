#!/usr/bin/env bash
# Regenerates docs/RELIABILITY.md: runs the end-to-end attack and fault tests
# (real anvil, real node processes on loopback) and tabulates what each
# injected and what happened.
#   bash scripts/reliability.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-tools.sh
export PATH="$root/.tools/bin:$PATH"

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
LIVELINESS_RELIABILITY_OUT="$rows" cargo test -p liveliness --test e2e -- \
  attacks:: faults:: --test-threads 1

{
  cat <<'MD'
# Reliability

Written by `bash scripts/reliability.sh`, which runs the end-to-end attack
and fault tests (`bin/liveliness/tests/e2e/attacks.rs` and `faults.rs`): a
real anvil with 1-second blocks, 4 operators as real `liveliness node`
processes (debug build) on 127.0.0.1 (for the network partition, each in a
network namespace the test creates, which needs root), 10-block epochs.
Each test asserts its own bounds (no false penalty, tasks landing again
within one extra epoch, every node following the chain, peak memory within
256 MiB); this table records what it measured in the run that wrote it.

- **epochs**: how long the attack or fault lasted, in epochs;
- **tasks landed**: approved or rejected tasks on chain for epochs from its
  start to the end of the test;
- **false penalties**: penalties of operators whose endpoint was up and who
  did nothing wrong (each test fails unless 0);
- **recovery**: seconds from the end of the fault until the faulty node's
  head caught up with the chain (every node's, for the shared RPC outage;
  for the network partition, until a task of an epoch after the heal
  landed);
- **peak memory**: the largest peak resident set (`VmHWM`) of the nodes at
  the end of the test, in MiB.

| attack or fault | injected | epochs | tasks landed | false penalties | recovery (s) | peak memory (MiB) |
| --- | --- | --- | --- | --- | --- | --- |
MD
  sort "$rows"
  echo
  echo "Run on $(date -u +%Y-%m-%d), $(nproc) cores."
} > docs/RELIABILITY.md
echo "reliability: wrote docs/RELIABILITY.md" >&2

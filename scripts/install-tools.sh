#!/usr/bin/env bash
# Installs the pinned Foundry binaries (anvil, forge, cast) and solcjs from the
# npm registry into the project-local folder .tools/, and writes the solc
# wrapper that forge uses (foundry.toml: solc = "../.tools/bin/solc").
# Idempotent: does nothing when the pinned versions are already there.
set -euo pipefail

FOUNDRY_VERSION=1.7.1
SOLC_VERSION=0.8.30
# ethers runs the reference validator in the health interop test.
ETHERS_VERSION=6.17.0

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
stamp="$tools/.installed-foundry-$FOUNDRY_VERSION-solc-$SOLC_VERSION-ethers-$ETHERS_VERSION"

if [ -f "$stamp" ] && [ -x "$tools/bin/forge" ] && [ -x "$tools/bin/solc" ]; then
  exit 0
fi

command -v npm >/dev/null || { echo "install-tools: npm is required (apt-get install nodejs npm)" >&2; exit 1; }

mkdir -p "$tools/bin"
cat > "$tools/package.json" <<JSON
{
  "name": "liveliness-tools",
  "private": true,
  "dependencies": {
    "@foundry-rs/anvil-linux-amd64": "$FOUNDRY_VERSION",
    "@foundry-rs/forge-linux-amd64": "$FOUNDRY_VERSION",
    "@foundry-rs/cast-linux-amd64": "$FOUNDRY_VERSION",
    "solc": "$SOLC_VERSION",
    "ethers": "$ETHERS_VERSION"
  }
}
JSON
echo "install-tools: installing foundry $FOUNDRY_VERSION, solc $SOLC_VERSION and ethers $ETHERS_VERSION into .tools/" >&2
(cd "$tools" && npm install --no-audit --no-fund --loglevel=error >&2)

for b in anvil forge cast; do
  src="$tools/node_modules/@foundry-rs/$b-linux-amd64/bin/$b"
  [ -f "$src" ] || { echo "install-tools: $src missing after npm install" >&2; exit 1; }
  chmod +x "$src"
  ln -sf "$src" "$tools/bin/$b"
done

cp "$root/scripts/solc-wrapper.js" "$tools/bin/solc"
chmod +x "$tools/bin/solc"

"$tools/bin/forge" --version >/dev/null
"$tools/bin/solc" --version >/dev/null
[ -f "$tools/node_modules/ethers/package.json" ] || { echo "install-tools: ethers missing after npm install" >&2; exit 1; }
touch "$stamp"
echo "install-tools: done ($("$tools/bin/forge" --version | head -1); $("$tools/bin/solc" --version | tail -1))" >&2

#!/usr/bin/env node
// A validator that follows the reference implementation's rules (Othentic's
// liveness example, Validation_Service healthcheck), written here for the
// interoperability tests, on the real ethers v6 library:
//
//   1. GET <endpoint>/healthcheck must succeed;
//   2. `healthcheck` is called through ethers' JsonRpcProvider (which detects
//      the network with eth_chainId first, batching it with the call);
//   3. the answer's blockHash must equal the expected hash as a string;
//   4. the signer recovered by ethers.verifyMessage over the bytes of
//      keccak256(abi.encode(uint256(blockHash))) must equal the answer's
//      address as a string (ethers returns it EIP-55 checksummed).
//
// Usage: node validate.js <endpoint> <blockNumber> <blockHash>
// Prints one JSON line; exits 0 when valid, 1 when invalid, 2 on an error.
"use strict";
const { ethers } = require("ethers");

async function main() {
  const [endpoint, blockArg, expectedHash] = process.argv.slice(2);
  if (!endpoint || !blockArg || !expectedHash) {
    console.error("usage: validate.js <endpoint> <blockNumber> <blockHash>");
    return 2;
  }
  const ping = await fetch(`${endpoint.replace(/\/$/, "")}/healthcheck`);
  if (!ping.ok) {
    console.log(JSON.stringify({ valid: false, why: `ping status ${ping.status}` }));
    return 1;
  }
  const provider = new ethers.JsonRpcProvider(endpoint);
  try {
    const answer = await provider.send("healthcheck", [Number(blockArg)]);
    if (answer.blockHash !== expectedHash) {
      console.log(JSON.stringify({ valid: false, why: "blockHash differs", answer }));
      return 1;
    }
    const payload = ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [answer.blockHash]);
    const message = ethers.getBytes(ethers.keccak256(payload));
    const recovered = ethers.verifyMessage(message, answer.signature);
    if (recovered !== answer.address) {
      console.log(JSON.stringify({ valid: false, why: "address differs", recovered, answer }));
      return 1;
    }
    console.log(JSON.stringify({ valid: true, recovered, answer }));
    return 0;
  } finally {
    provider.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.log(JSON.stringify({ error: String(error && error.message ? error.message : error) }));
    process.exit(2);
  },
);

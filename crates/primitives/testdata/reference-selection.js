// Independent reference implementation of the Liveliness epoch seed, sample
// and performer order (PROTOCOL §4), used to produce the vectors pinned in
// src/epoch.rs. Needs js-sha3: NODE_PATH=<dir with js-sha3> node reference-selection.js
'use strict';
const { keccak256 } = require('js-sha3');

const word = (hexNoPrefix) => hexNoPrefix.padStart(64, '0');
const uint = (n) => word(BigInt(n).toString(16));
const addr = (a) => word(a.slice(2).toLowerCase());
// abi.encode(x, string s, y) style helpers: every call below is a flat
// parameter list with at most one dynamic string, built by hand.
function strTail(s) {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  const padded = hex.padEnd(Math.ceil(hex.length / 64) * 64, '0');
  return uint(s.length) + padded;
}
const k = (hex) => keccak256(Buffer.from(hex, 'hex'));

function epochSeed(chainId, ac, blockHash) {
  return k(uint(chainId) + addr(ac) + word(blockHash.slice(2)));
}
// abi.encode(bytes32 seed, string domain, uint256 i): head = seed, offset 0x60, i
function draw(seed, domain, i) {
  return BigInt('0x' + k(seed + uint(0x60) + uint(i) + strTail(domain)));
}

function sample(ids, sampleSize, e, seed) {
  const n = ids.length;
  const kk = Math.min(sampleSize, n);
  if (kk === 0) return [];
  const h = Math.ceil(kk / 2);
  const base = Number((BigInt(e) * BigInt(h)) % BigInt(n));
  const taken = new Set();
  const out = [];
  for (let t = 0; t < h; t++) {
    const p = (base + t) % n;
    taken.add(p);
    out.push(ids[p]);
  }
  const rest = ids.filter((_, p) => !taken.has(p));
  const m = rest.length;
  for (let i = 0; i < kk - h; i++) {
    const j = i + Number(draw(seed, 'liveliness/sample', i) % BigInt(m - i));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return out.concat(rest.slice(0, kk - h)).sort((a, b) => a - b);
}

function performerOrder(ids, seed) {
  return ids
    .map((id) => [draw(seed, 'liveliness/performer', id), id])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
    .map((x) => x[1]);
}

const seed = epochSeed(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3', '0x' + '11'.repeat(32));
const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
console.log('seed', '0x' + seed);
console.log('draw sample 0', '0x' + draw(seed, 'liveliness/sample', 0).toString(16).padStart(64, '0'));
console.log('draw performer 1', '0x' + draw(seed, 'liveliness/performer', 1).toString(16).padStart(64, '0'));
console.log('sample(1..10, 4, 0)', JSON.stringify(sample(ten, 4, 0, seed)));
console.log('sample(1..10, 4, 1)', JSON.stringify(sample(ten, 4, 1, seed)));
console.log('sample(1..10, 5, 7)', JSON.stringify(sample(ten, 5, 7, seed)));
console.log('sample(1..10, 3, 2^64-1)', JSON.stringify(sample(ten, 3, (1n << 64n) - 1n, seed)));
console.log('sample(sparse, 4, 12)', JSON.stringify(sample([3, 8, 21, 22, 40, 41, 77], 4, 12, seed)));
console.log('performerOrder(1..10)', JSON.stringify(performerOrder(ten, seed)));

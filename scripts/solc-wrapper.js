#!/usr/bin/env node
// A `solc` command for forge, backed by solcjs (the npm package `solc`).
//
// forge runs `solc --version` and `solc [--allow-paths P] [--base-path P]
// --standard-json` with the input JSON on standard input. solcjs has no such
// command line, so this script drives its JavaScript `compile` API directly.
// Two traps it avoids: a synchronous read of a piped standard input can fail
// with EAGAIN (we read it as a stream), and node cuts piped standard output at
// 64 KiB when the process exits early (we never call process.exit after
// writing; the write completes before node ends on its own).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(
    `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`
  );
  return;
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solc wrapper: only --version and --standard-json are supported\n');
  process.exitCode = 2;
  return;
}

// Directories the compiler may read imports from when forge did not inline them.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i += 1) {
  const a = args[i];
  if (a === '--base-path' || a === '--include-path' || a === '--allow-paths') {
    const v = args[i + 1] || '';
    for (const p of v.split(',')) if (p) roots.push(p);
    i += 1;
  }
}

function findImport(p) {
  for (const r of roots) {
    const full = path.resolve(r, p);
    try {
      return { contents: fs.readFileSync(full, 'utf8') };
    } catch (_) {
      /* try the next root */
    }
  }
  return { error: `File not found: ${p}` };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('error', (e) => {
  process.stderr.write(`solc wrapper: reading standard input failed: ${e.message}\n`);
  process.exitCode = 1;
});
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  const output = solc.compile(input, { import: findImport });
  process.stdout.write(output);
});

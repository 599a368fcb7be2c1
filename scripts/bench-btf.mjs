#!/usr/bin/env node
// Times the BTF reader and the vmlinux.h generator on a real blob (default: this kernel's).
// Run after `npx tsc -b`:  node scripts/bench-btf.mjs [/sys/kernel/btf/vmlinux] [runs]
// Targets: parse < 300 ms, generate < 1.5 s for a ~6 MB vmlinux.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { parseBtf, generateVmlinuxH, BtfKind } = require(path.join(root, 'out/core/src/btf/index.js'));

const file = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const runs = Number(process.argv[3] ?? 5);
const bytes = new Uint8Array(readFileSync(file));

function time(fn) {
  const start = performance.now();
  const value = fn();
  return [performance.now() - start, value];
}

const samples = { parse: [], findByName: [], functions: [], generate: [] };
let typeCount = 0;
let headerBytes = 0;
for (let run = 0; run < runs; run++) {
  // Each run starts from a fresh parse so lazy caches are cold, as in a new language server.
  const [parseMs, result] = time(() => parseBtf(bytes));
  if (!result.btf) {
    console.error(`parse failed: ${result.errors.join('; ')}`);
    process.exit(1);
  }
  const btf = result.btf;
  typeCount = btf.typeCount - 1;
  samples.parse.push(parseMs);
  samples.findByName.push(time(() => btf.findByName('task_struct', BtfKind.Struct))[0]);
  samples.functions.push(time(() => btf.functions())[0]);
  const [generateMs, header] = time(() => generateVmlinuxH(btf));
  samples.generate.push(generateMs);
  headerBytes = header.length;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`${file}: ${(bytes.length / 1e6).toFixed(1)} MB, ${typeCount} types, header ${(headerBytes / 1e6).toFixed(1)} MB, ${runs} runs`);
for (const [step, values] of Object.entries(samples)) {
  console.log(`${step.padEnd(11)} median ${median(values).toFixed(1).padStart(7)} ms   min ${Math.min(...values).toFixed(1).padStart(7)} ms`);
}

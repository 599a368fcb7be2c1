// Drives the real language server over stdio, as an editor would, and prints the numbers of
// issue #3: completion latency in the server and round trip, cold and warm catalog build,
// server RSS. Run after `npm run build`:  npm run bench:lsp
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-bench-cache-'));
const COMPLETIONS = Number(process.env.BENCH_COMPLETIONS ?? 1000);

async function startServer() {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BPFDEV_CACHE_DIR: cacheDir },
  });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onNotification(() => undefined);
  connection.onRequest('workspace/configuration', (params) => params.items.map(() => ({ verifyOnSave: false })));
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true } } });
  connection.sendNotification('initialized', {});
  return { child, connection };
}

function percentile(sorted, q) { return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]; }
const ms = (value) => `${value.toFixed(2)} ms`;

async function waitForCatalog(connection) {
  const started = performance.now();
  for (;;) {
    const stats = await connection.sendRequest('bpfdev/stats');
    if (stats.catalog) return { stats, wallMs: performance.now() - started };
    if (performance.now() - started > 60_000) throw new Error('no catalog after 60 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const uri = 'file:///tmp/bench.bpf.c';
// Attachable names only: `__pfx_*` are the compiler's padding symbols before each function, not functions.
const kallsyms = fs.readFileSync('/proc/kallsyms', 'utf8').split('\n').filter((l) => / [tT] /.test(l)).map((l) => l.split(/\s+/)[2]).filter((name) => !name.startsWith('__pfx_'));
const tracefs = fs.existsSync('/sys/kernel/tracing/events') ? '/sys/kernel/tracing/events' : '/sys/kernel/debug/tracing/events';
const syscallsEvents = fs.readdirSync(path.join(tracefs, 'syscalls'));
let seed = 7;
const random = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

console.log(`bench-lsp: ${kallsyms.length} kernel text symbols, ${fs.readdirSync(tracefs).length} tracepoint categories here`);
for (const phase of ['cold', 'warm']) {
  const { child, connection } = await startServer();
  const { stats, wallMs } = await waitForCatalog(connection);
  console.log(`${phase} catalog: built in ${ms(stats.catalog.buildMs)} (${stats.catalog.source}; ready ${ms(wallMs)} after initialize), ` +
    `${stats.catalog.tracepoints} tracepoints, ${stats.catalog.kernelFunctions} kernel functions`);
  if (phase === 'warm') {
    const roundTrips = [];
    let found = 0;
    // Each sample types a name the way a person does: VS Code re-queries while the list is
    // marked incomplete, so the exact name must be in the list by the time it is fully typed.
    let typedNames = 0;
    for (let i = 0; roundTrips.length < COMPLETIONS; i++) {
      const kprobe = i % 2 === 0;
      const wanted = kprobe ? kallsyms[random(kallsyms.length)] : syscallsEvents[random(syscallsEvents.length)];
      const before = kprobe ? 'SEC("kprobe/' : 'SEC("tracepoint/syscalls/';
      let seen = false;
      for (let length = 1 + random(Math.min(4, wanted.length)); length <= wanted.length; length++) {
        const text = `${before}${wanted.slice(0, length)}")\nint p(void *ctx) { return 0; }\n`;
        connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: i * 1000 + length, text } });
        const started = performance.now();
        const list = await connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: before.length + length } });
        roundTrips.push(performance.now() - started);
        connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
        seen = list.items.some((item) => item.label === wanted || item.label.endsWith(`/${wanted}`));
        // A complete list is final: the editor filters it locally from here on.
        if (seen || !list.isIncomplete) break;
      }
      typedNames++;
      if (seen) found++;
      else if (process.env.BENCH_VERBOSE) console.log(`never offered: ${before}${wanted}`);
    }
    roundTrips.sort((a, b) => a - b);
    const after = await connection.sendRequest('bpfdev/stats');
    const inServer = after.latency.completion;
    console.log(`completion in server: p50 ${ms(inServer.p50)}, p99 ${ms(inServer.p99)}, max ${ms(inServer.max)} over ${inServer.count}`);
    console.log(`completion round trip: p50 ${ms(percentile(roundTrips, 0.5))}, p99 ${ms(percentile(roundTrips, 0.99))}`);
    console.log(`exact name offered while typing: ${found}/${typedNames} names`);
    console.log(`server RSS: ${(after.rssBytes / 1048576).toFixed(0)} MB (heap ${(after.heapUsedBytes / 1048576).toFixed(0)} MB)`);
  }
  connection.dispose();
  child.kill();
}
fs.rmSync(cacheDir, { recursive: true, force: true });

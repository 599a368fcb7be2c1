#!/usr/bin/env node
// Measures the kernel catalogs on this machine's real data: /proc/kallsyms, every tracefs format
// file, and /sys/kernel/btf/vmlinux (through core/src/btf, for hasBtf tags and prototypes).
// Prints cold build times and completion/diagnostic latency percentiles over 1000 random prefixes.
//
//   npx tsc -b core && node scripts/bench-catalog.mjs [--runs 1000] [--seed 42]
// Run as root: without CAP_SYSLOG kallsyms addresses read as zero (names are still complete).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const load = (module) => require(path.join(ROOT, 'out/core/src', module));
const { buildKallsymsIndex } = load('kallsyms/index.js');
const { buildTracepointCatalog } = load('tracefs/catalog.js');
const language = load('language/index.js');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const RUNS = option('runs', 1000);
let seed = option('seed', 42);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const TRACEFS = process.env.TRACEFS ?? '/sys/kernel/tracing';

function time(fn) {
  const started = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return `p50 ${pick(50).toFixed(3)} ms · p99 ${pick(99).toFixed(3)} ms · max ${sorted[sorted.length - 1].toFixed(3)} ms`;
}

function readOptional(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return { unavailable: error.code ?? String(error) };
  }
}

// --- inputs (reading is not part of the build numbers) -----------------------------------------
const kallsymsText = readFileSync('/proc/kallsyms', 'utf8');
const formatEntries = [];
const read = time(() => {
  for (const category of readdirSync(path.join(TRACEFS, 'events'), { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const event of readdirSync(path.join(TRACEFS, 'events', category.name), { withFileTypes: true })) {
      const file = path.join(TRACEFS, 'events', category.name, event.name, 'format');
      if (event.isDirectory() && existsSync(file)) formatEntries.push({ category: category.name, event: event.name, formatText: readFileSync(file, 'utf8') });
    }
  }
});
const filterFunctions = readOptional(path.join(TRACEFS, 'available_filter_functions'));
const blacklist = readOptional('/sys/kernel/debug/kprobes/blacklist');
const capabilities = { kprobes: existsSync(path.join(TRACEFS, 'kprobe_events')), btf: existsSync('/sys/kernel/btf/vmlinux') };

console.log(`kernel: ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
console.log(`inputs: /proc/kallsyms ${kallsymsText.split('\n').length - 1} lines; ${formatEntries.length} tracefs formats (read in ${read.ms.toFixed(0)} ms)`);
console.log(`        available_filter_functions: ${typeof filterFunctions === 'string' ? `${filterFunctions.split('\n').length - 1} lines` : filterFunctions.unavailable}`);
console.log(`        kprobes/blacklist: ${typeof blacklist === 'string' ? `${blacklist.split('\n').length - 1} lines` : blacklist.unavailable}`);
console.log(`        capabilities: ${JSON.stringify(capabilities)}`);

// --- BTF through core/src/btf, when built --------------------------------------------------------
let btfLookup;
let btfFunctionNames;
const btfModule = path.join(ROOT, 'out/core/src/btf/reader.js');
if (capabilities.btf && existsSync(btfModule)) {
  const { parseBtf } = require(btfModule);
  const { BtfKind } = require(path.join(ROOT, 'out/core/src/btf/types.js'));
  const parsed = time(() => parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'))));
  const btf = parsed.value.btf;
  if (btf) {
    const names = time(() => new Set(btf.functions().map((fn) => fn.name)));
    btfFunctionNames = names.value;
    console.log(`BTF:    vmlinux parsed in ${parsed.ms.toFixed(0)} ms, ${btfFunctionNames.size} FUNC names in ${names.ms.toFixed(0)} ms`);
    // The adapter the server would own: BTF ids in, C text out.
    const prototypeOf = (protoId) => {
      const proto = btf.typeById(protoId);
      if (proto?.kind !== BtfKind.FuncProto) return undefined;
      return {
        args: proto.params.map((param) => ({ name: param.name, type: btf.formatType(param.type) })),
        ret: btf.formatType(proto.returnType) || 'void',
      };
    };
    btfLookup = {
      funcPrototype(name) {
        const fn = btf.findByName(name, BtfKind.Func);
        if (fn) return prototypeOf(fn.type);
        const typedef = btf.findByName(name, BtfKind.Typedef);
        if (!typedef) return undefined;
        const pointer = btf.typeById(btf.resolve(typedef.type));
        return pointer?.kind === BtfKind.Ptr ? prototypeOf(btf.resolve(pointer.type)) : undefined;
      },
      structMembers(typeName) {
        const type = btf.findByName(typeName, BtfKind.Struct) ?? btf.findByName(typeName, BtfKind.Union);
        return type ? btf.membersOf(type.id, { flattenAnonymous: true })?.map((member) => ({ name: member.name, type: member.typeText })) : undefined;
      },
    };
  }
}

// --- cold builds ---------------------------------------------------------------------------------
const kallsymsOptions = {
  capabilities,
  ...(typeof filterFunctions === 'string' ? { availableFilterFunctions: filterFunctions } : {}),
  ...(typeof blacklist === 'string' ? { kprobeBlacklist: blacklist } : {}),
  ...(btfFunctionNames ? { btfFunctions: btfFunctionNames } : {}),
};
const kallsymsCold = time(() => buildKallsymsIndex(kallsymsText, kallsymsOptions));
const tracepointsCold = time(() => buildTracepointCatalog(formatEntries));
const kallsyms = kallsymsCold.value;
const tracepoints = tracepointsCold.value;
const warm = [];
for (let run = 0; run < 5; run++) warm.push(time(() => buildKallsymsIndex(kallsymsText, kallsymsOptions)).ms);
console.log(`build:  kallsyms index cold ${kallsymsCold.ms.toFixed(1)} ms (${kallsyms.size} unique text symbols, ${kallsyms.errors.length} errors), warm ${percentiles(warm)}`);
console.log(`        tracepoint catalog cold ${tracepointsCold.ms.toFixed(1)} ms (${tracepoints.size} events, ${tracepoints.errors.length} with parse errors)`);

const catalog = {
  kallsyms,
  tracepoints,
  ...(btfLookup ? { btf: btfLookup } : {}),
  helpers: existsSync(path.join(ROOT, 'out/core/src/helpers/index.js')) ? load('helpers/index.js').all() : undefined,
};

// --- completion latency --------------------------------------------------------------------------
function randomPrefix(name) {
  return name.slice(0, 1 + Math.floor(random() * name.length));
}

function measureCompletion(label, makeSource) {
  const samples = [];
  let incomplete = 0;
  let items = 0;
  let firstRun;
  for (let run = 0; run < RUNS; run++) {
    const source = makeSource();
    const offset = source.indexOf('|');
    const text = source.slice(0, offset) + source.slice(offset + 1);
    const { value, ms } = time(() => language.doComplete(text, offset, catalog));
    firstRun ??= ms;
    samples.push(ms);
    items += value.items.length;
    if (value.isIncomplete) incomplete++;
  }
  console.log(`${label.padEnd(28)} ${percentiles(samples)} · first ${firstRun.toFixed(2)} ms · avg ${(items / RUNS).toFixed(0)} items, ${incomplete} capped`);
}

const program = '\nint BPF_KPROBE(handler)\n{\n\treturn 0;\n}\n';
console.log(`completion over ${RUNS} random prefixes (whole document re-parsed each time):`);
measureCompletion('  kprobe/<function prefix>', () => `SEC("kprobe/${randomPrefix(kallsyms.names[Math.floor(random() * kallsyms.size)])}|")${program}`);
measureCompletion('  fentry/<substring>', () => {
  const name = kallsyms.names[Math.floor(random() * kallsyms.size)];
  const start = Math.floor(random() * name.length);
  return `SEC("fentry/${name.slice(start, start + 4)}|")${program}`;
});
measureCompletion('  tracepoint/<cat>/<event>', () => {
  const entry = formatEntries[Math.floor(random() * formatEntries.length)];
  return `SEC("tracepoint/${randomPrefix(`${entry.category}/${entry.event}`)}|")`;
});
measureCompletion('  ctx-> (tracepoint fields)', () => {
  const entry = formatEntries[Math.floor(random() * formatEntries.length)];
  return `SEC("tp/${entry.category}/${entry.event}")\nint h(void *ctx)\n{\n\treturn ctx->|;\n}\n`;
});

// --- diagnostics latency (a typo'd function forces the "did you mean" search) -------------------
const diagnosticSamples = [];
let suggested = 0;
for (let run = 0; run < RUNS; run++) {
  const name = kallsyms.names[Math.floor(random() * kallsyms.size)];
  const position = Math.floor(random() * name.length);
  const typo = name.slice(0, position) + name.slice(position + 1);
  const { value, ms } = time(() => language.doValidate(`SEC("kprobe/${typo}")${program}`, catalog));
  diagnosticSamples.push(ms);
  if (value.some((diagnostic) => diagnostic.fix && diagnostic.code === 'unknown-function')) suggested++;
}
console.log(`${'diagnostics, one typo'.padEnd(28)} ${percentiles(diagnosticSamples)} · ${suggested}/${RUNS} got a "did you mean"`);

// --- what the real BTF produces ------------------------------------------------------------------
if (btfLookup) {
  console.log('signatures from this kernel\'s BTF:');
  for (const section of ['kprobe/do_unlinkat', 'fexit/vfs_read', 'lsm/file_open', 'tp_btf/sched_switch', 'ksyscall/openat']) {
    console.log(`  ${section.padEnd(22)} ${language.programSignatureFor(section, catalog, 'handler') ?? '(none)'}`);
  }
}

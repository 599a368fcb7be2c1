/**
 * The verifier-log parser against the logs captured from the real kernel
 * (scripts/capture-verifier-logs.mjs → test/fixtures/verifier/logs/), plus robustness:
 * truncation, corrupted bytes, chunked input, a ~50 MB level-2 log, and older kernels' formats
 * (those few logs are synthetic and marked so).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseVerifierLog, parseVerifierLogChunks, VerifierLogParser, VerifierReport } from '../../core/src/verifier/parse';
import { VERIFIER_ERROR_KINDS } from '../../core/src/verifier/kinds';
import { decodeUtf8, Utf8StreamDecoder } from '../../core/src/verifier/utf8';

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/verifier');
const LOGS = path.join(CORPUS, 'logs');

interface CorpusEntry {
  name: string;
  kind: string;
  expectLine: number | null;
  expectKind: string | null;
  logLacksLine: boolean;
  /** Newer kernels accept it (`may-be-accepted: yes`); older ones reject it for `kind`. */
  mayBeAccepted: boolean;
}

/** Same header grammar as scripts/capture-verifier-logs.mjs: `* kind: x`, `/* EXPECT: x *\/` on the failing line. */
function readCorpus(): CorpusEntry[] {
  return readdirSync(CORPUS).filter((file) => file.endsWith('.bpf.c')).sort().map((file) => {
    const source = readFileSync(path.join(CORPUS, file), 'utf8');
    const header = /^\/\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
    const field = (name: string) => new RegExp(`^\\s*\\*\\s*${name}:\\s*(\\S+)`, 'm').exec(header)?.[1];
    const lines = source.split('\n');
    const markerIndex = lines.findIndex((line) => /\/\* EXPECT: [a-z0-9-]+ \*\//.test(line));
    return {
      name: file.slice(0, -'.bpf.c'.length),
      kind: field('kind') ?? '',
      expectLine: markerIndex >= 0 ? markerIndex + 1 : null,
      expectKind: markerIndex >= 0 ? /EXPECT: ([a-z0-9-]+)/.exec(lines[markerIndex])![1] : null,
      logLacksLine: field('log-lacks-line') === 'yes',
      mayBeAccepted: field('may-be-accepted') === 'yes',
    };
  });
}

const corpus = readCorpus();
const logFiles = readdirSync(LOGS).filter((file) => file.endsWith('.log')).sort();
const entryOf = (logFile: string) => corpus.find((entry) => entry.name === logFile.replace(/(\.level2)?\.log$/, ''))!;
const readLog = (logFile: string) => new Uint8Array(readFileSync(path.join(LOGS, logFile)));
/** 1-based line of the first line of a corpus program containing `needle`. */
const lineContaining = (name: string, needle: string) =>
  readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8').split('\n').findIndex((line) => line.includes(needle)) + 1;

/** The line rule every log must obey: a confident line is the EXPECT line; a log that has the line must give it. */
function checkLocation(report: VerifierReport, entry: CorpusEntry, logFile: string): void {
  const confident = report.source && report.source.confidence !== 'uncertain' && report.source.line !== undefined;
  if (confident) {
    assert.equal(report.source!.line, entry.expectLine, `${logFile}: parsed line vs EXPECT marker`);
    assert.equal(report.source!.file, `${entry.name}.bpf.c`, `${logFile}: file of the annotation`);
  }
  if (!entry.logLacksLine) {
    assert.ok(confident, `${logFile}: expected a confident source line, got ${JSON.stringify(report.source)}`);
    assert.match(report.source!.text, /EXPECT: /, `${logFile}: source text is the marked line`);
  } else if (!logFile.endsWith('.level2.log')) {
    // These are the cases where the kernel does not print the line: the parser must say so, not guess.
    assert.ok(!confident, `${logFile}: claims line ${report.source?.line} though the log lacks it`);
    if (entry.expectLine !== null) assert.ok(report.failingInstruction, `${logFile}: still names the instruction for a BTF line lookup`);
  }
}

test('the corpus covers at least 22 distinct rejection kinds, each with a captured log', () => {
  const rejected = corpus.filter((entry) => entry.kind !== 'accepted');
  const kinds = new Set(rejected.map((entry) => entry.kind));
  assert.ok(kinds.size >= 22, `only ${kinds.size} kinds: ${[...kinds].join(', ')}`);
  for (const entry of corpus) {
    assert.ok(logFiles.includes(`${entry.name}.log`), `no captured log for ${entry.name}`);
    if (entry.kind !== 'accepted') {
      assert.ok((VERIFIER_ERROR_KINDS as readonly string[]).includes(entry.kind), `${entry.name}: kind ${entry.kind} is not in the taxonomy`);
      if (entry.expectKind) assert.equal(entry.expectKind, entry.kind, `${entry.name}: EXPECT marker and header disagree`);
      else assert.ok(entry.logLacksLine, `${entry.name}: needs an EXPECT marker or log-lacks-line`);
    }
  }
  assert.ok(logFiles.some((file) => file.endsWith('.level2.log')), 'at least one level-2 log');
  assert.ok(readFileSync(path.join(LOGS, 'PROVENANCE.md'), 'utf8').includes('kernel: '), 'provenance records the kernel');
});

for (const logFile of logFiles) {
  test(`captured log ${logFile}: kind, line and statistics`, () => {
    const entry = entryOf(logFile);
    assert.ok(entry, `${logFile} has no corpus program`);
    const report = parseVerifierLog(readLog(logFile));
    assert.equal(report.truncated, false);
    assert.ok(report.stats.insnsProcessed !== undefined && report.stats.insnLimit === 1_000_000, 'processed line parsed');
    assert.equal(report.detailed, logFile.endsWith('.level2.log'), 'level-2 output recognised');
    if (entry.kind === 'accepted' || (entry.mayBeAccepted && report.verdict === 'accepted')) {
      assert.equal(report.verdict, 'accepted');
      assert.deepEqual(report.messageLines, []);
      return;
    }
    assert.equal(report.verdict, 'rejected', report.message);
    assert.equal(report.kind, entry.kind, `message was: ${report.message}`);
    assert.ok(report.message.length > 0);
    checkLocation(report, entry, logFile);
    if (report.path.length > 0) {
      assert.ok(report.path.length <= 10);
      assert.equal(report.path[report.path.length - 1].index, report.failingInstruction?.index, 'path ends at the failing instruction');
      assert.ok(report.registers.R10, 'R10 is always in the state');
      assert.equal(report.registers.R10.type, 'fp');
    }
  });
}

test('null-deref-map-value: registers, path and facts at the error', () => {
  const report = parseVerifierLog(readLog('null-deref-map-value.log'));
  assert.equal(report.failingInstruction?.text, 'r1 = *(u64 *)(r0 +0)');
  assert.equal(report.facts.register, 'R0');
  assert.equal(report.registers.R0.type, 'map_value_or_null');
  assert.equal(report.registers.R0.fields.map, 'open_counts');
  assert.equal(report.registers.R0.fields.vs, '8');
  // R1-R5 were clobbered by the lookup call; only what the kernel still tracks remains.
  assert.equal(report.registers.R1, undefined);
  assert.equal(report.stack['fp-8']?.raw, 'mmmm????');
  assert.match(report.registersText, /^R0=map_value_or_null\(id=1,map=open_counts,ks=4,vs=8\) R10=fp0 fp-8=mmmm\?\?\?\?$/);
  const lookup = report.path.find((step) => step.text === 'call bpf_map_lookup_elem#1');
  const lookupLine = lineContaining('null-deref-map-value', '= bpf_map_lookup_elem(');
  assert.ok(lookup && lookup.source?.line === lookupLine && lookup.state?.startsWith('R0=map_value_or_null'));
  const defined = report.related.find((r) => r.role === 'register-defined');
  assert.equal(defined?.source?.line, lookupLine, 'R0 was defined by the lookup');
  assert.deepEqual(report.stats.stackDepth, [8]);
  assert.ok((report.stats.verificationTimeUs ?? 0) > 0);
});

test('level-2 and level-1 logs of the same program agree', () => {
  for (const name of ['null-deref-map-value', 'call-stack-too-deep']) {
    const one = parseVerifierLog(readLog(`${name}.log`));
    const two = parseVerifierLog(readLog(`${name}.level2.log`));
    assert.equal(two.kind, one.kind);
    assert.equal(two.source?.line, one.source?.line);
    assert.equal(two.failingInstruction?.index, one.failingInstruction?.index);
    assert.equal(two.registersText, one.registersText, `${name}: same state at the error`);
  }
});

test('unreleased-reference: the acquiring call and its line are related to the leak', () => {
  const report = parseVerifierLog(readLog('unreleased-reference.log'));
  assert.equal(report.facts.insn, 4);
  const acquired = report.related.find((r) => r.role === 'reference-acquired');
  assert.equal(acquired?.text, 'call bpf_ringbuf_reserve#131');
  assert.equal(acquired?.source?.line, lineContaining('unreleased-reference', '= bpf_ringbuf_reserve('));
  assert.deepEqual(report.refs, [2]);
  // On the branchy variant the level-2 log keeps the line that level 1 erased.
  const level2 = parseVerifierLog(readLog('unreleased-reference-on-branch.level2.log'));
  assert.equal(level2.source?.confidence, 'exact');
  assert.equal(level2.path.find((step) => step.branchFrom !== undefined)?.branchFrom, 10);
  const level1 = parseVerifierLog(readLog('unreleased-reference-on-branch.log'));
  assert.equal(level1.source?.confidence, 'uncertain');
  assert.ok(level1.notes.some((note) => note.includes('line info')));
});

test('call-stack-too-deep: the error is in frame 7', () => {
  const report = parseVerifierLog(readLog('call-stack-too-deep.log'));
  assert.equal(report.frame, 7);
  assert.equal(report.facts.frames, 9);
  assert.equal(report.registers.R1?.type, 'scalar');
});

test('errors without an instruction: stack depth and control-flow checks', () => {
  const stack = parseVerifierLog(readLog('stack-too-large.log'));
  assert.equal(stack.facts.stackBytes, 640);
  assert.equal(stack.failingInstruction, undefined);
  assert.equal(stack.source, undefined);
  const flow = parseVerifierLog(readLog('invalid-control-flow.log'));
  assert.equal(flow.failingInstruction?.index, 2, 'unreachable insn N names the instruction');
});

test('raw pointers and plain scalars are told apart by where the value came from', () => {
  const raw = parseVerifierLog(readLog('raw-pointer-deref.log'));
  assert.equal(raw.kind, 'raw-pointer-deref');
  const scalar = parseVerifierLog(readLog('invalid-mem-access.log'));
  assert.equal(scalar.kind, 'invalid-mem-access');
  assert.equal(raw.message, scalar.message, 'the kernel words both the same way');
});

test('too-many-instructions: statistics of a million-instruction run', () => {
  const report = parseVerifierLog(readLog('too-many-instructions.log'));
  assert.equal(report.stats.insnsProcessed, 1_000_001);
  assert.ok((report.stats.totalStates ?? 0) > 1000);
  assert.ok((report.stats.peakStates ?? 0) > 0);
  assert.equal(report.stats.markRead, 0);
});

test('accepted logs: statistics per subprogram', () => {
  const stats = parseVerifierLog(readLog('accepted.log'));
  assert.equal(stats.verdict, 'accepted');
  assert.equal(stats.stats.stackDepth?.length, 2, 'main program + bump()');
  const level2 = parseVerifierLog(readLog('accepted.level2.log'));
  assert.equal(level2.verdict, 'accepted');
  assert.deepEqual(level2.stats, { ...stats.stats, verificationTimeUs: level2.stats.verificationTimeUs });
});

test('logs cut at any point never throw and say they are cut', () => {
  for (const logFile of logFiles) {
    const bytes = readLog(logFile);
    const text = decodeUtf8(bytes);
    const processedAt = text.lastIndexOf('processed ');
    const step = Math.max(1, Math.floor(bytes.length / 150));
    for (let cut = 0; cut < bytes.length; cut += step) {
      const report = parseVerifierLog(bytes.subarray(0, cut));
      assert.ok(VERIFIER_ERROR_KINDS.includes(report.kind), `${logFile}@${cut}: kind ${report.kind}`);
      // Cutting before the statistics line must be noticed (the cut can split a multi-byte char, so compare chars loosely).
      if (decodeUtf8(bytes.subarray(0, cut)).length < processedAt) assert.equal(report.truncated, true, `${logFile}@${cut}`);
      JSON.stringify(report);
    }
  }
});

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('corrupted bytes (invalid UTF-8, NULs, flipped bits) never throw', () => {
  const next = random(4);
  const nasty = [0x00, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf8, 0xff, 0x0a, 0x28, 0x29, 0x3b, 0x3d];
  for (const logFile of logFiles) {
    const original = readLog(logFile);
    for (let variant = 0; variant < 40; variant++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(next() * 20);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = next() < 0.5 ? nasty[Math.floor(next() * nasty.length)] : bytes[at] ^ (1 << Math.floor(next() * 8));
      }
      const report = parseVerifierLog(bytes);
      assert.ok(['rejected', 'accepted', 'unknown'].includes(report.verdict));
      JSON.stringify(report);
    }
  }
});

test('chunked input, split anywhere (even inside a UTF-8 character), gives the same report', () => {
  const next = random(9);
  for (const logFile of logFiles) {
    // Put multi-byte characters in, so splits fall inside them.
    const text = decodeUtf8(readLog(logFile)).replace(/EXPECT/g, 'EXPECT \u00e9\u4e2d\u{1f600}');
    const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
    const whole = parseVerifierLog(bytes);
    for (let attempt = 0; attempt < 5; attempt++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(next() * 97);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(parseVerifierLogChunks(chunks), whole, `${logFile}, attempt ${attempt}`);
    }
    if (whole.source?.confidence === 'exact') assert.match(whole.source.text, /EXPECT \u00e9\u4e2d\u{1f600}/u);
  }
});

test('libbpf-wrapped logs (bpftool/libbpf output pasted whole) parse like the bare log', () => {
  const bare = decodeUtf8(readLog('null-deref-map-value.log'));
  const wrapped = [
    "libbpf: prog 'count_openat': BPF program load failed: Permission denied",
    "libbpf: prog 'count_openat': -- BEGIN PROG LOAD LOG --",
    bare + '-- END PROG LOAD LOG --',
    "libbpf: prog 'count_openat': failed to load: -13",
    'Error: failed to load object file',
    '',
  ].join('\n');
  const report = parseVerifierLog(wrapped.replace(/\n/g, '\r\n'));
  const expected = parseVerifierLog(bare);
  assert.equal(report.message, expected.message);
  assert.equal(report.kind, expected.kind);
  assert.equal(report.source?.line, expected.source?.line);
});

test('the UTF-8 decoder agrees with TextDecoder, whole and streamed', () => {
  const next = random(21);
  const reference = new TextDecoder('utf-8');
  for (let round = 0; round < 300; round++) {
    const length = Math.floor(next() * 64);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const r = next();
      bytes[i] = r < 0.4 ? 0x20 + Math.floor(next() * 0x5f) : r < 0.7 ? 0x80 + Math.floor(next() * 0x40) : 0xc0 + Math.floor(next() * 0x40);
    }
    const expected = reference.decode(bytes);
    assert.equal(decodeUtf8(bytes), expected, `bytes ${Buffer.from(bytes).toString('hex')}`);
    const decoder = new Utf8StreamDecoder();
    const split = Math.floor(next() * (length + 1));
    const streamed = decoder.decode(bytes.subarray(0, split)) + decoder.decode(bytes.subarray(split)) + decoder.end();
    assert.equal(streamed, expected, `split at ${split} of ${Buffer.from(bytes).toString('hex')}`);
  }
  assert.equal(decodeUtf8(new Uint8Array([0xf0, 0x9f, 0x98, 0x80])), '\u{1f600}');
});

test('a ~50 MB level-2 log is parsed in linear time, streamed in chunks', () => {
  // The repeated middle of a real level-2 log: every line kind the kernel prints at level 2.
  const text = decodeUtf8(readLog('accepted.level2.log'));
  const lines = text.split('\n');
  const firstInsn = lines.findIndex((line) => /^0: \(/.test(line));
  const statsAt = lines.findIndex((line) => line.startsWith('verification time'));
  const head = lines.slice(0, firstInsn).join('\n') + '\n';
  const middle = lines.slice(firstInsn, statsAt).join('\n') + '\n';
  const failure = decodeUtf8(readLog('null-deref-map-value.level2.log'));
  const tail = failure.slice(failure.indexOf('0: R1=ctx()'));
  const copies = Math.ceil(50_000_000 / middle.length);
  const encoded = new Uint8Array(Buffer.from(middle, 'utf8'));

  function* chunks(): Generator<Uint8Array | string> {
    yield head;
    for (let i = 0; i < copies; i++) yield encoded;
    yield tail;
  }
  const started = performance.now();
  const report = parseVerifierLogChunks(chunks());
  const elapsedMs = performance.now() - started;
  const megabytes = (head.length + copies * encoded.length + tail.length) / 1e6;
  console.log(`verifier log parse: ${megabytes.toFixed(1)} MB, ${copies * (statsAt - firstInsn)} lines in ${elapsedMs.toFixed(0)} ms (${(megabytes / (elapsedMs / 1000)).toFixed(0)} MB/s)`);
  assert.equal(report.kind, 'null-deref-map-value');
  assert.equal(report.source?.line, lineContaining('null-deref-map-value', 'EXPECT'));
  assert.equal(report.detailed, true);
  // Linear: 50 MB at even 5 MB/s is 10 s; a quadratic parser would not finish.
  assert.ok(elapsedMs < 60_000, `took ${elapsedMs} ms`);

  // The same in one string, fed line by line to the incremental API, must agree.
  const parser = new VerifierLogParser();
  parser.push(head);
  for (let i = 0; i < 50; i++) parser.push(middle);
  parser.push(tail);
  assert.equal(parser.end().kind, 'null-deref-map-value');
});

// ---- Older kernels. These logs are SYNTHETIC: written for this test in the formats of 4.x/5.x
// kernels (no `@ file:line`, `inv` scalars, separate state lines), since this machine runs 6.18.

const SYNTHETIC_5X_NULL_DEREF = `0: (b7) r1 = 0
1: (63) *(u32 *)(r10 -4) = r1
last_idx 1 first_idx 0
regs=2 stack=0 before 0: (b7) r1 = 0
2: (bf) r2 = r10
3: (07) r2 += -4
; u64 *v = bpf_map_lookup_elem(&m, &k);
4: (18) r1 = 0xffff8881f9c4d400
6: (85) call bpf_map_lookup_elem#1
7: R0_w=map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0) R10=fp0 fp-8=mmmm????
; *v += 1;
7: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const SYNTHETIC_4X_PACKET = `0: (61) r2 = *(u32 *)(r1 +0)
1: (61) r3 = *(u32 *)(r1 +4)
2: (bf) r1 = r2
3: (07) r1 += 14
4: (2d) if r1 > r3 goto pc+3
 R1=pkt(id=0,off=14,r=14,imm=0) R2=pkt(id=0,off=0,r=14,imm=0) R3=pkt_end(id=0,off=0,imm=0) R10=fp0
5: (71) r0 = *(u8 *)(r2 +23)
invalid access to packet, off=23 size=1, R2(id=0,off=23,r=14)
R2 offset is outside of the packet
processed 6 insns (limit 131072), stack depth 0
`;

const SYNTHETIC_4X_INV = `from 9 to 11: R0=inv(id=0,umax_value=255,var_off=(0x0; 0xff)) R1_w=invP0 R6=ctx(id=0,off=0,imm=0) R10=fp0,call_-1
11: (bf) r2 = r0
12: (0f) r6 += r2
R6 pointer arithmetic on ctx prohibited
processed 13 insns (limit 131072), stack depth 8
`;

test('synthetic 5.x log: text-only annotations and separate state lines', () => {
  const report = parseVerifierLog(SYNTHETIC_5X_NULL_DEREF);
  assert.equal(report.kind, 'null-deref-map-value');
  assert.deepEqual(report.source, { text: '*v += 1;', confidence: 'exact' });
  assert.equal(report.registers.R0.type, 'map_value_or_null');
  assert.equal(report.registers.R0.liveness, 'w');
  assert.equal(report.registers.R0.fields.off, '0');
  assert.equal(report.stack['fp-8'].raw, 'mmmm????');
  assert.equal(report.stats.insnsProcessed, 7);
});

test('synthetic 4.x logs: old packet message, inv registers, stack depth on the processed line', () => {
  const packet = parseVerifierLog(SYNTHETIC_4X_PACKET);
  assert.equal(packet.kind, 'packet-out-of-bounds');
  assert.equal(packet.facts.packetRange, 14);
  assert.equal(packet.registers.R2.type, 'pkt');
  assert.deepEqual(packet.stats.stackDepth, [0]);
  assert.equal(packet.stats.insnLimit, 131072);
  const inv = parseVerifierLog(SYNTHETIC_4X_INV);
  assert.equal(inv.kind, 'ptr-arithmetic-prohibited');
  assert.equal(inv.registers.R0.type, 'scalar');
  assert.equal(inv.registers.R0.fields.var_off, '(0x0; 0xff)');
  assert.equal(inv.registers.R1.type, 'scalar');
  assert.equal(inv.registers.R1.value, '0');
  assert.equal(inv.registers.R1.precise, true);
  assert.deepEqual(inv.stats.stackDepth, [8]);
  assert.equal(inv.path[0].branchFrom, 9);
});

test('synthetic one-line logs: older wordings map to the same kinds', () => {
  const cases: [string, string][] = [
    ['unknown func bpf_get_current_task#35', 'helper-not-allowed'],
    ['back-edge from insn 9 to 4', 'unbounded-loop'],
    ['invalid stack type R1 off=-520 access_size=8', 'stack-out-of-bounds'],
    ['invalid indirect read from stack R2 off -16+4 size 16', 'uninitialized-stack-read'],
    ['At program exit the register R0 has value (0x2; 0x0) should have been in (0x0; 0x1)', 'return-value-out-of-range'],
    ['math between map_value pointer and register with unbounded min value is not allowed', 'unbounded-variable-offset'],
    ['jump out of range from insn 5 to 90', 'invalid-control-flow'],
    ['tracing progs cannot use bpf_spin_lock yet', 'unknown'],
  ];
  for (const [message, kind] of cases) {
    const report = parseVerifierLog(`${message}\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`);
    assert.equal(report.verdict, 'rejected', message);
    assert.equal(report.kind, kind, message);
  }
  const loop = parseVerifierLog('back-edge from insn 9 to 4\nprocessed 0 insns (limit 1000000)\n');
  assert.equal(loop.failingInstruction?.index, 9);
});

test('garbage and empty input give an empty report, not an exception', () => {
  for (const input of ['', '\n\n\n', 'hello', '\u0000\u0001', ')))(((;;;', '12: (zz) nonsense', new Uint8Array([0xff, 0xfe, 0x00])]) {
    const report = parseVerifierLog(input);
    assert.equal(report.truncated, true);
    JSON.stringify(report);
  }
});

/**
 * Logs of the same corpus captured on the Debian test VMs' kernels (5.10, 6.1, 6.12:
 * `node scripts/capture-verifier-logs.mjs --vm ...` writes `logs-<kernel>/`). Older kernels word
 * messages differently and print the source text without `@ file:line`, so the line is checked
 * by its text there. A program a kernel cannot even load (a kfunc it lacks) has an empty log and
 * its verdict in PROVENANCE.md.
 */
const kernelDirs = readdirSync(CORPUS).filter((dir) => /^logs-\d+\.\d+$/.test(dir)).sort();
/** What an older kernel says instead of the program's kind, with why (features it lacks). */
const kernelKinds = JSON.parse(readFileSync(path.join(CORPUS, 'kernel-kinds.json'), 'utf8')) as Record<string, Record<string, { kind: string; why: string }>>;

test('logs were captured on the VM kernels too (5.10, 6.1, 6.12)', () => {
  assert.deepEqual(kernelDirs, ['logs-5.10', 'logs-6.1', 'logs-6.12']);
});

for (const dir of kernelDirs) {
  test(`${dir}: every log gives its program's kind at its EXPECT line`, () => {
    const provenance = readFileSync(path.join(CORPUS, dir, 'PROVENANCE.md'), 'utf8');
    assert.match(provenance, new RegExp(`^- kernel: ${dir.slice(5).replace('.', '\\.')}\\.`, 'm'), 'provenance names the kernel');
    const source = (name: string) => readFileSync(path.join(CORPUS, `${name}.bpf.c`), 'utf8').split('\n');
    let checked = 0;
    for (const entry of corpus) {
      const file = path.join(CORPUS, dir, `${entry.name}.log`);
      const row = provenance.split('\n').find((line) => line.startsWith(`| ${entry.name}.log |`));
      assert.ok(row, `${dir}: no provenance row for ${entry.name}`);
      // A program that does not compile against this kernel's types has no log file at all.
      const log = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (!log.trim()) {
        assert.match(row, /\| (?:not-loaded|compile-failed|load-failed|unsupported)/, `${dir}/${entry.name}: an empty log needs the reason it is empty`);
        continue;
      }
      const report = parseVerifierLog(log);
      const expected = kernelKinds[dir.slice(5)]?.[entry.name]?.kind ?? entry.kind;
      if (expected === 'accepted' || (entry.mayBeAccepted && report.verdict === 'accepted')) {
        assert.equal(report.verdict, 'accepted', `${dir}/${entry.name}: ${report.message}`);
        continue;
      }
      assert.equal(report.kind, expected, `${dir}/${entry.name}: message was ${report.message}`);
      checked++;
      // Where the kernel objects to something else, it does so at another line than the EXPECT marker's.
      if (expected !== entry.kind || !report.source || report.source.confidence === 'uncertain') continue;
      if (report.source.line !== undefined) assert.equal(report.source.line, entry.expectLine, `${dir}/${entry.name}: line`);
      else if (entry.expectLine !== null) assert.equal(report.source.text, source(entry.name)[entry.expectLine - 1].trim(), `${dir}/${entry.name}: source text`);
    }
    assert.ok(checked >= 30, `${dir}: only ${checked} rejections checked`);
    for (const [name, { kind }] of Object.entries(kernelKinds[dir.slice(5)] ?? {})) {
      assert.ok(corpus.some((entry) => entry.name === name) && (VERIFIER_ERROR_KINDS as readonly string[]).includes(kind), `kernel-kinds.json: ${name} → ${kind}`);
    }
  });
}

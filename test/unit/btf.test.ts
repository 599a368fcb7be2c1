import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBtf, Btf } from '../../core/src/btf/reader';
import { generateVmlinuxH } from '../../core/src/btf/c-header';
import { BtfKind } from '../../core/src/btf/types';
import { dumpBtfRaw } from '../../core/src/btf/raw-dump';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/btf');

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

function parseFixture(name: string, base?: Btf): Btf {
  const { btf, errors } = parseBtf(fixture(name), base);
  assert.deepEqual(errors, []);
  assert.ok(btf);
  return btf;
}

function expectedDump(name: string): string {
  return readFileSync(path.join(FIXTURES, `${name}.bpftool-raw`), 'utf8');
}

// dumpBtfRaw prints our parse in the layout of `bpftool btf dump file X`, so the captured
// bpftool output is the oracle for every field of every type.
void test('every type of the clang-built blob matches bpftool\'s reading of it', () => {
  const btf = parseFixture('all-kinds.btf');
  assert.equal(btf.startId, 1);
  assert.equal(btf.littleEndian, true);
  assert.equal(dumpBtfRaw(btf), expectedDump('all-kinds.btf'));
});

void test('the big-endian blob decodes to the same types as the little-endian one', () => {
  const big = parseFixture('all-kinds.be.btf');
  const little = parseFixture('all-kinds.btf');
  assert.equal(big.littleEndian, false);
  assert.equal(dumpBtfRaw(big), expectedDump('all-kinds.be.btf'));
  assert.equal(big.typeCount, little.typeCount);
  for (let id = 0; id < big.typeCount; id++) assert.deepEqual(big.typeById(id), little.typeById(id));
});

void test('the kernel-derived blob (ENUM64 included) matches bpftool', () => {
  const btf = parseFixture('kernel-subset.btf');
  assert.equal(dumpBtfRaw(btf), expectedDump('kernel-subset.btf'));
  const callchain = btf.findByName('perf_callchain_context', BtfKind.Enum64);
  assert.equal(callchain?.kind, BtfKind.Enum64);
  if (callchain?.kind === BtfKind.Enum64) {
    assert.equal(callchain.values[0].name, 'PERF_CONTEXT_HV');
    assert.equal(callchain.values[0].value, 2n ** 64n - 32n);
  }
});

void test('the fixtures between them hold every BTF kind', () => {
  const kinds = new Set<BtfKind>();
  for (const name of ['all-kinds.btf', 'kernel-subset.btf']) {
    const btf = parseFixture(name);
    for (let id = 1; id < btf.typeCount; id++) kinds.add(btf.kindOf(id));
  }
  for (let kind = BtfKind.Int; kind <= BtfKind.Enum64; kind++) assert.ok(kinds.has(kind), `kind ${BtfKind[kind]} missing`);
});

void test('split BTF continues type ids and string offsets from its base', () => {
  const base = parseFixture('all-kinds.btf');
  const split = parseFixture('split-module.btf', base);
  assert.equal(split.startId, base.typeCount);
  assert.equal(dumpBtfRaw(split), expectedDump('split-module.btf'));
  // Base types are reachable through the split, with the same identity.
  assert.equal(split.typeById(6), base.typeById(6));
  assert.equal(split.formatType(5), 'struct node *');
  const state = split.findByName('module_state', BtfKind.Struct);
  assert.ok(state);
  const members = split.membersOf(state.id)!;
  assert.deepEqual(members.map((m) => `${m.typeText} ${m.name}`), [
    'struct node * first', 'unsigned int refcount', 'int (*)(struct module_state *, int) probe', 'char[16] name',
    'struct flags local_flags', 'u32 local_word', 'enum traffic_light light',
  ]);
  // Own definitions are found before the base's when names repeat.
  assert.deepEqual(split.findAllByName('flags', BtfKind.Struct).map((t) => t.id), [75, 20]);
  assert.equal(split.findByName('node', BtfKind.Struct)?.id, 6);
  assert.deepEqual(split.functions().map((f) => f.name), ['module_init_like']);
});

void test('functions carry their prototypes and print as C signatures', () => {
  const btf = parseFixture('all-kinds.btf');
  const fns = btf.functions();
  assert.deepEqual(fns.map((f) => [f.name, f.linkage]), [
    ['do_sys_openat2_like', 'global'], ['helper_with_restrict', 'static'], ['handle_openat', 'global'],
  ]);
  const open = fns[0];
  assert.deepEqual(open.params.map((p) => p.name), ['dfd', 'filename', 'how']);
  assert.equal(btf.formatType(open.returnType), 'int');
  assert.equal(btf.formatFuncSignature(open.id), 'int do_sys_openat2_like(int dfd, const char *filename, struct node *how)');
  assert.equal(btf.formatFuncSignature(fns[1].id), 'int helper_with_restrict(int *restrict out, const char *restrict in)');
  assert.equal(btf.formatFuncSignature(fns[2].id), 'int handle_openat(void *ctx)');
  assert.equal(btf.formatFuncSignature(open.protoId), 'int (int dfd, const char *filename, struct node *how)');
});

void test('formatType spells declarators the C way', () => {
  const btf = parseFixture('all-kinds.btf');
  const node = btf.findByName('node', BtfKind.Struct);
  assert.ok(node?.kind === BtfKind.Struct);
  const declared = Object.fromEntries(node.members.map((m) => [m.name || '(anon)', btf.formatType(m.type, m.name)]));
  assert.deepEqual(declared, {
    next: 'struct node *next',
    counter: 'const volatile int counter',
    name: 'char name[16]',
    matrix: 'int matrix[2][3]',
    '(anon)': 'union {...}',
    point: 'struct {...} point',
    color: 'enum color color',
    flags: 'struct flags flags',
    pair: 'struct packed_pair pair',
    opaque: 'struct undefined_elsewhere *opaque',
    opaque_union: 'union undefined_union *opaque_union',
    callback: 'int (*callback)(struct node *, const char *, ...)',
    user_buffer: 'char *user_buffer',
    tagged: 'u64 tagged',
  });
  const ops = btf.findByName('ops', BtfKind.Struct);
  assert.ok(ops?.kind === BtfKind.Struct);
  assert.equal(btf.formatType(ops.members[1].type), 'void (*)(int, enum negative)');
  const handler = btf.findByName('handler_fn', BtfKind.Typedef);
  assert.ok(handler?.kind === BtfKind.Typedef);
  assert.equal(btf.formatType(handler.type, 'fn'), 'int (*fn)(void *, unsigned long)');
  const defaultOps = btf.findByName('default_ops', BtfKind.Var);
  assert.ok(defaultOps);
  assert.equal(btf.formatType(defaultOps.id), 'const struct ops default_ops');
  assert.equal(btf.formatType(9999), '<bad type 9999>');
});

void test('member listing looks through typedefs, qualifiers, pointers and anonymous members', () => {
  const btf = parseFixture('all-kinds.btf');
  const node = btf.findByName('node', BtfKind.Struct)!;
  const flat = btf.membersOf(node.id, { flattenAnonymous: true })!;
  const byName = new Map(flat.map((m) => [m.name, m]));
  assert.equal(byName.get('as_int')?.bitOffset, 416);
  assert.equal(byName.get('as_float')?.typeText, 'float');
  assert.equal(byName.get('callback')?.typeText, 'int (*)(struct node *, const char *, ...)');
  assert.ok(!flat.some((m) => m.name === ''));
  assert.equal(btf.membersOf(node.id)!.filter((m) => m.name === '').length, 1);

  // `struct node *` through the pointer, and `const struct ops` through the qualifier.
  const ptrToNode = flat.find((m) => m.name === 'next')!.type;
  assert.deepEqual(btf.membersOf(ptrToNode, { throughPointer: true })?.map((m) => m.name), btf.membersOf(node.id)?.map((m) => m.name));
  assert.equal(btf.membersOf(ptrToNode), undefined);
  const defaultOps = btf.findByName('default_ops', BtfKind.Var)!;
  assert.deepEqual(btf.membersOf((defaultOps as { type: number }).type)?.map((m) => m.typeText), ['handler_fn', 'void (*)(int, enum negative)']);

  const flags = btf.findByName('flags', BtfKind.Struct)!;
  assert.deepEqual(btf.membersOf(flags.id)!.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [
    ['ready', 0, 1], ['mode', 1, 3], ['wide', 8, 40], ['done', 48, 0],
  ]);

  const kernel = parseFixture('kernel-subset.btf');
  const task = kernel.findByName('task_struct', BtfKind.Struct)!;
  const taskMembers = new Map(kernel.membersOf(task.id)!.map((m) => [m.name, m]));
  assert.equal(taskMembers.get('real_parent')?.typeText, 'struct task_struct *');
  assert.equal(taskMembers.get('tgid')?.typeText, 'pid_t');
  assert.equal(kernel.sizeOf(taskMembers.get('tgid')!.type), 4);
  assert.equal(kernel.sizeOf(task.id), 3264);
});

void test('every truncation of a blob is rejected with errors, never an exception', () => {
  const blob = fixture('all-kinds.btf');
  for (let length = 0; length < blob.length; length++) {
    const result = parseBtf(blob.subarray(0, length));
    assert.equal(result.btf, null, `prefix of ${length} bytes accepted`);
    assert.ok(result.errors.length > 0);
  }
});

/** A small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Everything a caller might do with a parsed blob; none of it may throw. */
function exercise(btf: Btf): void {
  for (let id = 0; id < btf.typeCount; id++) {
    btf.typeById(id);
    btf.formatType(id, 'x');
    btf.membersOf(id, { throughPointer: true, flattenAnonymous: true });
    btf.sizeOf(id);
  }
  for (const fn of btf.functions()) btf.formatFuncSignature(fn.id);
  btf.findAllByName('node');
  generateVmlinuxH(btf);
}

void test('random byte flips give errors or a usable BTF, never an exception', () => {
  const blob = fixture('all-kinds.btf');
  const random = prng(0xb7f);
  let rejected = 0;
  for (let round = 0; round < 1500; round++) {
    const mutated = blob.slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
    const result = parseBtf(mutated);
    assert.equal(result.btf === null, result.errors.length > 0);
    if (result.btf) exercise(result.btf);
    else rejected++;
  }
  // Most flips land in names or offsets that stay valid; a good share must still be caught.
  assert.ok(rejected > 100, `only ${rejected} mutations rejected`);
});

/** Byte position of word `word` of type `id` in the fixture blob. */
function wordPosition(btf: Btf, blob: Uint8Array, id: number, word: number): number {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const typeStart = view.getUint32(4, true) + view.getUint32(8, true);
  return typeStart + (btf.offsets[id - btf.startId] + word) * 4;
}

function setWord(blob: Uint8Array, position: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint32(position, value, true);
  return copy;
}

void test('structural damage is reported with a reason', () => {
  const blob = fixture('all-kinds.btf');
  const btf = parseFixture('all-kinds.btf');
  const ptr = 2; // [2] PTR -> [3] CONST
  assert.equal(btf.kindOf(ptr), BtfKind.Ptr);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /shorter than/],
    ['magic', setWord(blob, 0, 0x0001beef), /bad BTF magic/],
    ['version', (() => { const b = blob.slice(); b[2] = 2; return b; })(), /unsupported BTF version 2/],
    ['header length', setWord(blob, 4, 1 << 30), /header length/],
    ['type length', setWord(blob, 12, new DataView(blob.buffer).getUint32(12, true) + 2), /aligned|past the end/],
    ['self cycle', setWord(blob, wordPosition(btf, blob, ptr, 2), ptr), /refers back to itself/],
    ['dangling', setWord(blob, wordPosition(btf, blob, ptr, 2), 9999), /refers to type 9999/],
    ['unknown kind', setWord(blob, wordPosition(btf, blob, ptr, 1), 25 << 24), /unknown kind 25/],
    ['name offset', setWord(blob, wordPosition(btf, blob, 1, 0), 1 << 20), /outside the string section/],
    ['FUNC of a non-prototype', setWord(blob, wordPosition(btf, blob, 36, 2), 1), /not a FUNC_PROTO/],
  ];
  for (const [label, bytes, pattern] of cases) {
    const result = parseBtf(bytes);
    assert.equal(result.btf, null, label);
    assert.ok(result.errors.some((e) => pattern.test(e)), `${label}: ${result.errors.join('; ')}`);
  }
});

void test('parses vmlinux-sized input quickly (timing printed, not asserted)', () => {
  // A synthetic stress: the fixture's types repeated until the blob is a few MB.
  const blob = fixture('all-kinds.btf');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const hdrLen = view.getUint32(4, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  const source = parseFixture('all-kinds.btf');
  const copies = 1500;
  const types = new Uint8Array(typeLen * copies);
  const words = new DataView(types.buffer);
  for (let copy = 0; copy < copies; copy++) {
    types.set(blob.subarray(hdrLen, hdrLen + typeLen), copy * typeLen);
    // Shift every type reference by the copy's id base so each copy stays self-consistent.
    const shift = copy * (source.typeCount - 1);
    for (let id = 1; id < source.typeCount && shift; id++) {
      const at = copy * typeLen + source.offsets[id - 1] * 4;
      shiftReferences(words, at, source.kindOf(id), shift);
    }
  }
  const out = new Uint8Array(hdrLen + types.length + strLen);
  out.set(blob.subarray(0, hdrLen));
  out.set(types, hdrLen);
  out.set(blob.subarray(hdrLen + strOff, hdrLen + strOff + strLen), hdrLen + types.length);
  const header = new DataView(out.buffer);
  header.setUint32(8, 0, true);
  header.setUint32(12, types.length, true);
  header.setUint32(16, types.length, true);
  const start = performance.now();
  const { btf, errors } = parseBtf(out);
  const parseMs = performance.now() - start;
  assert.deepEqual(errors, []);
  assert.equal(btf!.typeCount, copies * (source.typeCount - 1) + 1);
  console.log(`parsed ${btf!.typeCount - 1} types (${(out.length / 1e6).toFixed(1)} MB) in ${parseMs.toFixed(1)} ms`);
});

function shiftReferences(view: DataView, at: number, kind: BtfKind, shift: number): void {
  const info = view.getUint32(at + 4, true);
  const vlen = info & 0xffff;
  const bump = (offset: number): void => {
    const value = view.getUint32(offset, true);
    if (value !== 0) view.setUint32(offset, value + shift, true);
  };
  switch (kind) {
    case BtfKind.Ptr: case BtfKind.Typedef: case BtfKind.Volatile: case BtfKind.Const: case BtfKind.Restrict:
    case BtfKind.TypeTag: case BtfKind.Func: case BtfKind.FuncProto: case BtfKind.Var: case BtfKind.DeclTag:
      bump(at + 8);
      break;
    default:
      break;
  }
  switch (kind) {
    case BtfKind.Array: bump(at + 12); bump(at + 16); break;
    case BtfKind.Struct: case BtfKind.Union:
      for (let i = 0; i < vlen; i++) bump(at + 12 + i * 12 + 4);
      break;
    case BtfKind.FuncProto:
      for (let i = 0; i < vlen; i++) bump(at + 12 + i * 8 + 4);
      break;
    case BtfKind.Datasec:
      for (let i = 0; i < vlen; i++) bump(at + 12 + i * 12);
      break;
    default:
      break;
  }
}

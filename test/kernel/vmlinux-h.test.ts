/**
 * Kernel tier for the BTF reader and the vmlinux.h generator: reads this machine's
 * /sys/kernel/btf/vmlinux, checks the parse against bpftool, compiles real programs against the
 * generated header with clang, checks clang lays every struct out as the kernel does, and loads
 * the programs this kernel can load. Steps whose tools are missing are skipped with the reason.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Btf, parseBtf } from '../../core/src/btf/reader';
import { generateVmlinuxH } from '../../core/src/btf/c-header';
import { dumpBtfRaw } from '../../core/src/btf/raw-dump';
import { BtfKind } from '../../core/src/btf/types';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/btf');
const PROGRAMS = path.join(FIXTURES, 'programs');
const MAX_OUTPUT = 1 << 30;

function run(command: string, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: MAX_OUTPUT });
  if (result.error) return { status: null, stdout: '', stderr: String(result.error) };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function have(tool: string): boolean {
  return run('sh', ['-c', `command -v ${tool}`]).status === 0;
}

const noVmlinux = existsSync(VMLINUX) ? false : `${VMLINUX} is missing (kernel without CONFIG_DEBUG_INFO_BTF)`;
const noClang = have('clang') ? false : 'clang is not installed';
const noObjcopy = have('llvm-objcopy') ? false : 'llvm-objcopy is not installed';
const noBpftool = have('bpftool') ? false : 'bpftool is not installed: comparison with its dump skipped';
const noLoad = noBpftool || (process.getuid?.() !== 0 ? 'loading programs needs root' : false);

const work = mkdtempSync(path.join(os.tmpdir(), 'bpfdev-vmlinux-h-'));
after(() => rmSync(work, { recursive: true, force: true }));

let cached: { btf: Btf; header: string; includeDir: string } | undefined;

/** Parses vmlinux and writes our header once; every test below shares the result. */
function ours(): { btf: Btf; header: string; includeDir: string } {
  if (cached) return cached;
  const bytes = new Uint8Array(readFileSync(VMLINUX));
  let start = performance.now();
  const { btf, errors } = parseBtf(bytes);
  const parseMs = performance.now() - start;
  assert.deepEqual(errors, []);
  start = performance.now();
  const header = generateVmlinuxH(btf!);
  const generateMs = performance.now() - start;
  console.log(`vmlinux BTF: ${(bytes.length / 1e6).toFixed(1)} MB, ${btf!.typeCount - 1} types; parse ${parseMs.toFixed(0)} ms, `
    + `generate vmlinux.h ${generateMs.toFixed(0)} ms (${header.split('\n').length} lines)`);
  const includeDir = path.join(work, 'ours');
  mkdirSync(includeDir);
  writeFileSync(path.join(includeDir, 'vmlinux.h'), header);
  cached = { btf: btf!, header, includeDir };
  return cached;
}

let bpftoolCached: { header: string; includeDir: string } | undefined;

function bpftoolHeader(): { header: string; includeDir: string } {
  if (bpftoolCached) return bpftoolCached;
  const dump = run('bpftool', ['btf', 'dump', 'file', VMLINUX, 'format', 'c']);
  assert.equal(dump.status, 0, dump.stderr);
  const includeDir = path.join(work, 'bpftool');
  mkdirSync(includeDir);
  writeFileSync(path.join(includeDir, 'vmlinux.h'), dump.stdout);
  bpftoolCached = { header: dump.stdout, includeDir };
  return bpftoolCached;
}

function compile(source: string, includeDir: string, output: string): { status: number | null; stderr: string } {
  return run('clang', ['-target', 'bpf', '-g', '-O2', '-D__TARGET_ARCH_x86', `-I${includeDir}`, '-c', source, '-o', output]);
}

void test('parses the running kernel\'s BTF (timing printed)', { skip: noVmlinux }, () => {
  const { btf } = ours();
  assert.ok(btf.typeCount > 10_000);
  const task = btf.findByName('task_struct', BtfKind.Struct);
  assert.ok(task);
  const members = btf.membersOf(task.id, { flattenAnonymous: true })!;
  assert.equal(members.find((m) => m.name === 'real_parent')?.typeText, 'struct task_struct *');
  assert.ok(btf.functions().length > 1000);
  const openat2 = btf.findByName('do_sys_openat2', BtfKind.Func);
  if (openat2) {
    assert.equal(btf.formatFuncSignature(openat2.id), 'int do_sys_openat2(int dfd, const char *filename, struct open_how *how)');
  }
});

void test('every vmlinux type reads as bpftool reads it', { skip: noVmlinux || noBpftool }, () => {
  const { btf } = ours();
  const theirs = run('bpftool', ['btf', 'dump', 'file', VMLINUX]);
  assert.equal(theirs.status, 0, theirs.stderr);
  const expected = theirs.stdout.split('\n');
  const actual = dumpBtfRaw(btf).split('\n');
  const mismatches: string[] = [];
  for (let line = 0; line < Math.max(expected.length, actual.length) && mismatches.length < 5; line++) {
    if (expected[line] !== actual[line]) mismatches.push(`line ${line + 1}: ours ${JSON.stringify(actual[line])}, bpftool ${JSON.stringify(expected[line])}`);
  }
  assert.deepEqual(mismatches, []);
});

void test('the generated vmlinux.h compiles on its own without a single warning', { skip: noVmlinux || noClang }, () => {
  const { includeDir } = ours();
  const result = run('clang', ['-target', 'bpf', '-fsyntax-only', '-Wall', '-x', 'c', path.join(includeDir, 'vmlinux.h')]);
  assert.equal(result.status, 0, result.stderr.slice(0, 4000));
  assert.equal(result.stderr, '');
});

for (const program of existsSync(PROGRAMS) ? readdirSync(PROGRAMS).filter((f) => f.endsWith('.bpf.c')).sort() : []) {
  void test(`${program} compiles against our vmlinux.h (and bpftool's)`, { skip: noVmlinux || noClang }, () => {
    const source = path.join(PROGRAMS, program);
    const result = compile(source, ours().includeDir, path.join(work, `${program}.ours.o`));
    assert.equal(result.status, 0, result.stderr.slice(0, 4000));
    if (!noBpftool) {
      // The same program must build with bpftool's dump, or the program itself is at fault.
      const reference = compile(source, bpftoolHeader().includeDir, path.join(work, `${program}.bpftool.o`));
      assert.equal(reference.status, 0, reference.stderr.slice(0, 4000));
    }
  });
}

/** Programs this kernel can load (it has no kprobes and refuses fentry). */
const LOADABLE = ['tracepoint.bpf.c', 'raw-tp.bpf.c', 'core-read.bpf.c', 'xdp.bpf.c'];

void test('programs built on our header pass the verifier, CO-RE relocations included', { skip: noVmlinux || noClang || noLoad }, () => {
  const { includeDir } = ours();
  if (!existsSync('/sys/fs/bpf')) assert.fail('/sys/fs/bpf is missing');
  for (const program of LOADABLE) {
    const object = path.join(work, `${program}.load.o`);
    const built = compile(path.join(PROGRAMS, program), includeDir, object);
    assert.equal(built.status, 0, built.stderr);
    const pinDir = `/sys/fs/bpf/bpfdev-vmlinux-h-${process.pid}-${program.replace(/\W/g, '_')}`;
    try {
      const loaded = run('bpftool', ['prog', 'loadall', object, pinDir]);
      assert.equal(loaded.status, 0, `${program}: ${loaded.stderr.slice(-4000)}`);
    } finally {
      rmSync(pinDir, { recursive: true, force: true });
    }
  }
});

/** struct/union/enum tags, typedef names and enumerator names a header defines or mentions. */
function namesIn(header: string): { tags: Set<string>; typedefs: Set<string>; enumerators: Set<string> } {
  const tags = new Set<string>();
  for (const match of header.matchAll(/\b(?:struct|union|enum) ([A-Za-z_]\w*)/g)) tags.add(match[0]);
  const enumerators = new Set<string>();
  for (const match of header.matchAll(/^\t+([A-Za-z_]\w*) = /gm)) enumerators.add(match[1]);
  const typedefs = new Set<string>();
  const lines = header.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('typedef ')) continue;
    let statement = lines[i];
    // typedefs of anonymous records run until the closing brace in column 0.
    if (statement.endsWith('{')) while (i + 1 < lines.length && !lines[i].startsWith('}')) statement += `\n${lines[++i]}`;
    typedefs.add(typedefName(statement));
  }
  return { tags, typedefs, enumerators };
}

function typedefName(statement: string): string {
  let flat = statement;
  for (let previous = ''; previous !== flat;) {
    previous = flat;
    flat = flat.replace(/\{[^{}]*\}/g, '');
  }
  // `... name;` and `... name[4];` (anonymous record bodies are gone by now)
  const plain = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*;\s*$/.exec(flat);
  if (plain) return plain[1];
  // `ret (*name)(...)`, `T (* const name)[32]`
  const pointer = /\(\s*(?:\*\s*(?:const|volatile|restrict)?\s*)+([A-Za-z_]\w*)\s*\)/.exec(flat);
  if (pointer) return pointer[1];
  // a function type: `ret name(...)`
  const fn = /^typedef\s+[^(]*?\b([A-Za-z_]\w*)\s*\(/.exec(flat);
  return fn ? fn[1] : flat;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).slice(0, 10);
}

void test('our header names the same structs, typedefs and constants as bpftool\'s', { skip: noVmlinux || noBpftool }, () => {
  const mine = namesIn(ours().header);
  const theirs = namesIn(bpftoolHeader().header);
  for (const key of ['tags', 'typedefs', 'enumerators'] as const) {
    assert.deepEqual(difference(mine[key], theirs[key]), [], `${key} only in ours`);
    assert.deepEqual(difference(theirs[key], mine[key]), [], `${key} only in bpftool's`);
    assert.ok(mine[key].size > 100, key);
  }
  console.log(`names compared with bpftool: ${mine.tags.size} tags, ${mine.typedefs.size} typedefs, ${mine.enumerators.size} enumerators`);
});

/**
 * Compiles a variable of every (uniquely named) struct and union with clang -g, reads the BTF
 * clang emits for our header, and compares sizes and every member's bit offset and bitfield
 * width with the source BTF. That is the layout clang actually uses, bitfields included.
 */
function layoutMismatches(btf: Btf, header: string, label: string): { checked: number; mismatches: string[] } {
  const dir = path.join(work, `layout-${label}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'vmlinux.h'), header);
  const tagCount = new Map<string, number>();
  for (let id = 1; id < btf.typeCount; id++) {
    const kind = btf.kindOf(id);
    if (kind === BtfKind.Struct || kind === BtfKind.Union || kind === BtfKind.Enum || kind === BtfKind.Enum64) {
      const name = btf.nameOf(id);
      if (name) tagCount.set(name, (tagCount.get(name) ?? 0) + 1);
    }
  }
  const expected = new Map<string, number>();
  const source = ['#include "vmlinux.h"'];
  for (let id = 1; id < btf.typeCount; id++) {
    const kind = btf.kindOf(id);
    const name = btf.nameOf(id);
    if ((kind !== BtfKind.Struct && kind !== BtfKind.Union) || !name || tagCount.get(name) !== 1) continue;
    source.push(`${kind === BtfKind.Struct ? 'struct' : 'union'} ${name} v${id};`);
    expected.set(`${kind}:${name}`, id);
  }
  writeFileSync(path.join(dir, 'layout.c'), source.join('\n') + '\n');
  const built = run('clang', ['-target', 'bpf', '-g', '-O0', '-c', 'layout.c', '-o', 'layout.o'], dir);
  assert.equal(built.status, 0, built.stderr.slice(0, 4000));
  const dumped = run('llvm-objcopy', ['--dump-section', '.BTF=layout.btf', 'layout.o'], dir);
  assert.equal(dumped.status, 0, dumped.stderr);
  const compiled = parseBtf(new Uint8Array(readFileSync(path.join(dir, 'layout.btf'))));
  assert.deepEqual(compiled.errors, []);
  const clangBtf = compiled.btf!;
  const describe = (b: Btf, id: number): string => {
    const members = b.membersOf(id, { flattenAnonymous: true })!.filter((m) => m.name !== '');
    return `size ${b.sizeOf(id)}: ${members.map((m) => `${m.name}@${m.bitOffset}${m.bitfieldSize ? `:${m.bitfieldSize}` : ''}`).join(' ')}`;
  };
  const mismatches: string[] = [];
  let checked = 0;
  for (let id = 1; id < clangBtf.typeCount; id++) {
    const kind = clangBtf.kindOf(id);
    if (kind !== BtfKind.Struct && kind !== BtfKind.Union) continue;
    const kernelId = expected.get(`${kind}:${clangBtf.nameOf(id)}`);
    if (kernelId === undefined) continue;
    checked++;
    const want = describe(btf, kernelId);
    const got = describe(clangBtf, id);
    if (want !== got && mismatches.length < 10) mismatches.push(`${clangBtf.nameOf(id)}: kernel ${want.slice(0, 300)} / clang ${got.slice(0, 300)}`);
  }
  return { checked, mismatches };
}

void test('clang lays out every vmlinux struct of our header exactly as the kernel BTF says', { skip: noVmlinux || noClang || noObjcopy }, () => {
  const { btf, header } = ours();
  const { checked, mismatches } = layoutMismatches(btf, header, 'vmlinux');
  assert.deepEqual(mismatches, []);
  assert.ok(checked > 1000, `only ${checked} structs checked`);
  console.log(`layout checked for ${checked} structs/unions`);
});

void test('headers for the captured fixtures compile and keep their layouts', { skip: noClang || noObjcopy }, () => {
  const load = (name: string, base?: Btf): Btf => {
    const { btf, errors } = parseBtf(new Uint8Array(readFileSync(path.join(FIXTURES, name))), base);
    assert.deepEqual(errors, [], name);
    return btf!;
  };
  const allKinds = load('all-kinds.btf');
  const cases: [string, Btf][] = [
    ['all-kinds', allKinds], ['kernel-subset', load('kernel-subset.btf')], ['split-module', load('split-module.btf', allKinds)],
  ];
  for (const [label, btf] of cases) {
    const { checked, mismatches } = layoutMismatches(btf, generateVmlinuxH(btf), label);
    assert.deepEqual(mismatches, [], label);
    assert.ok(checked > 0, label);
  }
});

/**
 * bpf-headers/ offers every public name libbpf's BPF-side headers offer (issue #9). The names
 * come from the libbpf-dev installed here, read by clang itself: macros with `clang -E -dM`
 * for every architecture bpf_tracing.h knows, declarations from `-ast-dump=json`. Both ways a
 * program gets its types are checked: a vmlinux.h, and UAPI headers (<linux/bpf.h>) found
 * through the system include directories clang reports, as libbpf-bootstrap and xdp-tutorial
 * compile. Newer libbpf names (1.2+) that libbpf-dev 1.1 lacks are listed in NEWER_NAMES.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateVmlinuxHeader } from '../../host/src/btf-header';
import { repoRoot } from '../support/kernel';

const ours = path.join(repoRoot, 'bpf-headers');
const libbpfDir = '/usr/include/bpf';
const HEADERS = ['bpf_helpers.h', 'bpf_tracing.h', 'bpf_core_read.h', 'bpf_endian.h', 'usdt.bpf.h'];
const ARCHES = ['x86', 'arm64', 's390', 'arm', 'mips', 'powerpc', 'sparc', 'riscv', 'loongarch'];

/**
 * libbpf names we deliberately do not define, each with the reason. Names beginning with ___
 * are libbpf's macro plumbing (argument counting, pasting), not API; ours has its own.
 */
const DELIBERATELY_ABSENT = new Map<string, string>([
]);

/** Names newer libbpf (1.2-1.5) added, which the installed 1.1 cannot show us: checked by hand here. */
const NEWER_NAMES = [
  'bpf_for', 'bpf_for_each', 'bpf_repeat', 'bpf_ksym_exists', '__kptr', '__kptr_untrusted', '__percpu_kptr', '__uptr',
  '__arg_ctx', '__arg_nonnull', '__arg_nullable', '__arg_trusted', '__arg_arena', '__ulong', 'bpf_core_cast',
  'bpf_core_type_matches', 'BPF_CORE_WRITE_BITFIELD', 'BPF_UPROBE', 'BPF_URETPROBE', 'BPF_KSYSCALL', 'BPF_KPROBE_SYSCALL',
  'PT_REGS_PARM6', 'PT_REGS_PARM7', 'PT_REGS_PARM8', 'PT_REGS_PARM7_USER', 'PT_REGS_PARM1_SYSCALL', 'PT_REGS_PARM1_CORE_SYSCALL',
  'BPF_PROG2', 'NULL', '__bpf_fastcall', 'bpf_usdt_arg_size',
];

function skipReason(): string | undefined {
  if (spawnSync('clang', ['--version'], { stdio: 'ignore' }).status !== 0) return 'needs clang';
  if (!fs.existsSync(path.join(libbpfDir, 'bpf_helpers.h'))) return `needs libbpf-dev (${libbpfDir})`;
  if (!fs.existsSync('/sys/kernel/btf/vmlinux')) return 'needs kernel BTF for vmlinux.h';
  return undefined;
}
const skip = skipReason();

/** The directories clang searches for <...> on this host, as `-idirafter` flags (CLANG_BPF_SYS_INCLUDES). */
function systemIncludeFlags(): string[] {
  const result = spawnSync('clang', ['-v', '-E', '-x', 'c', '-'], { input: '', encoding: 'utf8' });
  const lines = result.stderr.split('\n');
  const start = lines.findIndex((line) => line.startsWith('#include <...> search starts here'));
  const end = lines.findIndex((line) => line.startsWith('End of search list'));
  return lines.slice(start + 1, end).map((line) => line.trim()).flatMap((dir) => ['-idirafter', dir]);
}

interface Flavor { name: string; preamble: string; flags: () => string[] }

let workDir = '';
const FLAVORS: Flavor[] = [
  { name: 'vmlinux.h', preamble: '#include "vmlinux.h"\n', flags: () => ['-I', workDir] },
  {
    name: 'UAPI headers',
    // <stdbool.h>: libbpf's usdt.bpf.h uses bool, which only vmlinux.h would otherwise define.
    preamble: '#include <linux/types.h>\n#include <linux/bpf.h>\n#include <asm/ptrace.h>\n#include <stdbool.h>\n',
    flags: () => ['-nostdinc', ...systemIncludeFlags()],
  },
];

function clang(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('clang', ['-target', 'bpf', '-x', 'c', ...args, '-'], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const program = (flavor: Flavor, headers = HEADERS) => flavor.preamble + headers.map((h) => `#include <bpf/${h}>\n`).join('');

/** Macro names defined after the preamble and the headers; `-I ours` puts our headers first. */
function macroNames(flavor: Flavor, arch: string, useOurs: boolean): Set<string> {
  const result = clang([`-D__TARGET_ARCH_${arch}`, ...(useOurs ? ['-I', ours] : []), ...flavor.flags(), '-E', '-dM'], program(flavor));
  // libbpf 1.1 predates loongarch: its usdt.bpf.h then stops at a #pragma error, after defining what it has.
  if (useOurs || arch !== 'loongarch') assert.equal(result.status, 0, result.stderr);
  return new Set(result.stdout.split('\n').map((line) => /^#define (\w+)/.exec(line)?.[1]).filter((name): name is string => !!name));
}

interface Declared { kind: string; name: string; file: string }

/**
 * Top-level declarations with the file each comes from. clang's JSON omits a location's file
 * when it is the same as the previous location printed, so the walk keeps the last one seen.
 */
function declarations(flavor: Flavor, useOurs: boolean): Declared[] {
  const result = clang(['-D__TARGET_ARCH_x86', ...(useOurs ? ['-I', ours] : []), ...flavor.flags(), '-fsyntax-only', '-Xclang', '-ast-dump=json'], program(flavor));
  assert.equal(result.status, 0, result.stderr.split('\n').filter((line) => line.includes('error')).join('\n'));
  interface Loc { file?: string; spellingLoc?: Loc; expansionLoc?: Loc }
  interface Node { kind: string; name?: string; isImplicit?: boolean; completeDefinition?: boolean; loc?: Loc; range?: { begin?: Loc; end?: Loc }; inner?: Node[] }
  let current = '';
  const see = (loc?: Loc) => {
    if (!loc) return;
    see(loc.spellingLoc);
    see(loc.expansionLoc);
    if (loc.file) current = loc.file;
  };
  const walk = (node: Node) => {
    see(node.loc);
    see(node.range?.begin);
    see(node.range?.end);
    for (const child of node.inner ?? []) walk(child);
  };
  const found: Declared[] = [];
  for (const node of (JSON.parse(result.stdout) as Node).inner ?? []) {
    see(node.loc);
    const file = current;
    see(node.range?.begin);
    see(node.range?.end);
    const named = node.name && !node.isImplicit && (node.kind !== 'RecordDecl' || node.completeDefinition);
    if (named) found.push({ kind: node.kind, name: node.name!, file });
    if (node.kind === 'EnumDecl') for (const constant of node.inner ?? []) if (constant.name) found.push({ kind: 'EnumConstantDecl', name: constant.name, file });
    for (const child of node.inner ?? []) walk(child);
  }
  return found;
}

void describe('bpf-headers: the public API of libbpf\'s BPF-side headers', { skip }, () => {
  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-headers-api-'));
    fs.writeFileSync(path.join(workDir, 'vmlinux.h'), generateVmlinuxHeader(fs.readFileSync('/sys/kernel/btf/vmlinux')));
  });
  after(() => { if (workDir) fs.rmSync(workDir, { recursive: true, force: true }); });

  for (const flavor of FLAVORS) {
    void test(`with ${flavor.name}: all five headers compile together, without warnings, for every architecture`, () => {
      // The register structs here are x86's: usdt.bpf.h's functions read them, so other
      // architectures compile the macro-only headers (their PT_REGS are exercised in bpf-headers.test).
      for (const arch of flavor.name === 'vmlinux.h' ? ARCHES : ['x86']) {
        const headers = arch === 'x86' ? HEADERS : HEADERS.filter((h) => h !== 'usdt.bpf.h');
        const result = clang([`-D__TARGET_ARCH_${arch}`, '-I', ours, ...flavor.flags(), '-Wall', '-fsyntax-only'], program(flavor, headers));
        assert.equal(result.status, 0, `${arch}:\n${result.stderr}`);
        assert.equal(result.stderr, '', `${arch}: clang printed:\n${result.stderr}`);
      }
    });

    void test(`with ${flavor.name}: every macro libbpf-dev's headers define, ours define, for every architecture`, () => {
      const baseline = macroNamesWithout(flavor);
      for (const arch of ARCHES) {
        const theirs = macroNames(flavor, arch, false);
        const mine = macroNames(flavor, arch, true);
        const missing = [...theirs].filter((name) => !baseline.has(name) && !mine.has(name) && !name.startsWith('___') && !DELIBERATELY_ABSENT.has(name));
        assert.deepEqual(missing, [], `${arch}: macros libbpf defines and bpf-headers does not`);
      }
    });
  }

  void test('every function, variable, type and enumerator libbpf-dev\'s headers declare, ours declare', () => {
    const flavor = FLAVORS[1]!;
    // bpf_helper_defs.h is generated from the UAPI (scripts/gen-helper-defs.mjs) and compared in helper-catalog.test.
    const theirs = declarations(flavor, false).filter((d) => d.file.startsWith(`${libbpfDir}/`) && !d.file.endsWith('/bpf_helper_defs.h'));
    assert.ok(theirs.length >= 20, `only ${theirs.length} declarations found in libbpf-dev's headers: the scan is broken`);
    const mine = new Set(declarations(flavor, true).filter((d) => d.file.startsWith(`${ours}/`)).map((d) => `${d.kind} ${d.name}`));
    const missing = theirs.map((d) => `${d.kind} ${d.name}`).filter((key) => !mine.has(key) && !DELIBERATELY_ABSENT.has(key.split(' ')[1]!));
    assert.deepEqual([...new Set(missing)], []);
  });

  void test('names newer libbpf added are defined too', () => {
    const mine = macroNames(FLAVORS[0]!, 'x86', true);
    const declared = new Set(declarations(FLAVORS[1]!, true).map((d) => d.name));
    assert.deepEqual(NEWER_NAMES.filter((name) => !mine.has(name) && !declared.has(name)), []);
  });
});

/** Macros the preamble alone defines (the types' own), which the headers are not asked to. */
function macroNamesWithout(flavor: Flavor): Set<string> {
  const result = clang(['-D__TARGET_ARCH_x86', ...flavor.flags(), '-E', '-dM'], flavor.preamble);
  assert.equal(result.status, 0, result.stderr);
  return new Set(result.stdout.split('\n').map((line) => /^#define (\w+)/.exec(line)?.[1]).filter((name): name is string => !!name));
}

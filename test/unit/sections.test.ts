import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SECTION_DEFS } from '../../core/src/sections/definitions';
import { findSectionDef, parseSection } from '../../core/src/sections/parse';

const LIBBPF_ARCHIVE = '/usr/lib/x86_64-linux-gnu/libbpf.a';

void test('every definition is reachable: its own prefix (and example) selects it', () => {
  const seen = new Set<string>();
  for (const def of SECTION_DEFS) {
    assert.ok(!seen.has(def.prefix), `duplicate prefix ${def.prefix}`);
    seen.add(def.prefix);
    assert.equal(findSectionDef(def.prefix), def, def.prefix);
    assert.ok(def.doc.length > 10 && def.doc.length < 140, `${def.prefix}: one-line doc`);
    assert.match(def.programType, /^BPF_PROG_TYPE_[A-Z0-9_]+$/);
    if (def.example) {
      const parsed = parseSection(def.example);
      assert.equal(parsed.def, def, def.example);
      assert.deepEqual(parsed.errors, [], def.example);
    }
  }
});

void test('targets are split with offsets that point back into the text', () => {
  const tracepoint = parseSection('tracepoint/syscalls/sys_enter_openat');
  assert.equal(tracepoint.def?.prefix, 'tracepoint');
  assert.deepEqual(tracepoint.target?.category, { text: 'syscalls', start: 11, end: 19 });
  assert.deepEqual(tracepoint.target?.event, { text: 'sys_enter_openat', start: 20, end: 36 });

  const alias = parseSection('tp/sched/sched_switch');
  assert.equal(alias.def?.aliasOf, 'tracepoint');
  assert.equal(alias.target?.event?.text, 'sched_switch');

  const kprobe = parseSection('kprobe/do_unlinkat+0x10');
  assert.equal(kprobe.target?.name?.text, 'do_unlinkat');
  assert.equal(kprobe.target?.offset?.text, '0x10');
  assert.deepEqual(kprobe.errors, []);

  const fentry = parseSection('fentry/bpf_testmod:bpf_testmod_test_read');
  assert.equal(fentry.target?.module?.text, 'bpf_testmod');
  assert.equal(fentry.target?.name?.text, 'bpf_testmod_test_read');

  const uprobe = parseSection('uprobe//usr/lib/libc.so.6:malloc+16');
  assert.equal(uprobe.target?.binary?.text, '/usr/lib/libc.so.6');
  assert.equal(uprobe.target?.name?.text, 'malloc');
  assert.equal(uprobe.target?.offset?.text, '16');

  const usdt = parseSection('usdt/./bin/app:myprov:started');
  assert.deepEqual(
    [usdt.target?.binary?.text, usdt.target?.provider?.text, usdt.target?.name?.text],
    ['./bin/app', 'myprov', 'started'],
  );
  const text = 'usdt/./bin/app:myprov:started';
  const provider = usdt.target?.provider;
  assert.equal(text.slice(provider?.start, provider?.end), 'myprov');

  for (const [section, prefix] of [
    ['kprobe.multi/tcp_*', 'kprobe.multi'],
    ['ksyscall/openat', 'ksyscall'],
    ['lsm.s/file_open', 'lsm.s'],
    ['iter/task_file', 'iter'],
    ['raw_tp.w/bpf_test_finish', 'raw_tp.w'],
    ['cgroup/connect4', 'cgroup/connect4'],
    ['xdp.frags/devmap', 'xdp.frags/devmap'],
    ['sk_skb/stream_verdict', 'sk_skb/stream_verdict'],
  ]) {
    assert.equal(parseSection(section).def?.prefix, prefix, section);
  }
});

void void test('"?" (no autoload) is accepted before any program section, offsets still index the full text', () => {
  const plain = parseSection('tp/sched/sched_switch');
  assert.equal(plain.autoload, true);
  const lazy = parseSection('?tp/sched/sched_switch');
  assert.equal(lazy.autoload, false);
  assert.equal(lazy.def?.prefix, 'tp');
  assert.deepEqual(lazy.target?.event, { text: 'sched_switch', start: 10, end: 22 });
  assert.deepEqual(parseSection('?kprob/x').errors.map((error) => [error.code, error.start, error.end]), [['unknown-section', 1, 6]]);
});

void test('data sections are recognized and carry no program errors', () => {
  for (const name of ['.maps', 'license', '.rodata', '.rodata.str1.1', '.data.custom', '.bss', '.kconfig', '.struct_ops.link']) {
    const parsed = parseSection(name);
    assert.ok(parsed.dataSection, name);
    assert.deepEqual(parsed.errors, [], name);
  }
});

void test('mistakes are reported with a code and the offending range', () => {
  const cases: [string, string, number, number][] = [
    ['', 'empty-section', 0, 0],
    ['kprob/do_unlinkat', 'unknown-section', 0, 5],
    ['xdp/eth0', 'unexpected-target', 3, 8],
    ['fentry', 'missing-target', 0, 6],
    ['kprobe/', 'missing-target', 7, 7],
    ['tracepoint/syscalls', 'malformed-target', 11, 19],
    ['tracepoint/a/b/c', 'malformed-target', 11, 16],
    ['kretprobe/f+8', 'malformed-target', 11, 13],
    ['uprobe/libc.so.6', 'malformed-target', 7, 16],
    ['usdt/bin:prov', 'malformed-target', 5, 13],
    ['kprobe/9lives', 'malformed-target', 7, 13],
  ];
  for (const [section, code, start, end] of cases) {
    const { errors } = parseSection(section);
    assert.equal(errors.length, 1, `${section}: ${JSON.stringify(errors)}`);
    assert.deepEqual([errors[0].code, errors[0].start, errors[0].end], [code, start, end], section);
  }
  // Bare prefixes of auto-attach sections are legal (attached by hand later).
  assert.deepEqual(parseSection('kprobe').errors, []);
  assert.deepEqual(parseSection('tp').errors, []);
});

/** Printable runs of 2+ bytes, like strings(1): libbpf.a holds its section table's names verbatim. */
function archiveStrings(file: string): Set<string> {
  const bytes = readFileSync(file);
  const strings = new Set<string>();
  let start = -1;
  for (let index = 0; index <= bytes.length; index++) {
    const printable = index < bytes.length && bytes[index] >= 0x20 && bytes[index] < 0x7f;
    if (printable && start === -1) start = index;
    if (!printable && start !== -1) {
      if (index - start >= 2) strings.add(bytes.subarray(start, index).toString('latin1'));
      start = -1;
    }
  }
  return strings;
}

void test('the table agrees with the installed libbpf.a: a superset of it, newer entries flagged exactly', (t) => {
  if (!existsSync(LIBBPF_ARCHIVE)) {
    t.skip(`${LIBBPF_ARCHIVE} not installed`);
    return;
  }
  const strings = archiveStrings(LIBBPF_ARCHIVE);
  // libbpf spells sections that take a target as "prefix+"; each must be one of our target-taking definitions.
  const withTarget = [...strings].filter((text) => /^[a-z][a-z0-9_.]{2,}\+$/.test(text)).map((text) => text.slice(0, -1));
  assert.ok(withTarget.includes('kprobe') && withTarget.includes('tp_btf'), 'found libbpf\'s section table');
  for (const prefix of withTarget) {
    const def = SECTION_DEFS.find((candidate) => candidate.prefix === prefix);
    assert.ok(def && def.target !== 'none', `libbpf's ${prefix}+ is missing or lacks a target in our table`);
  }
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libbpf-dev'], { encoding: 'utf8' });
  if (!/^(\d+:)?1\.1\./.test(version)) {
    t.diagnostic(`libbpf-dev ${version} is not 1.1; newerThanLibbpf flags not checked`);
    return;
  }
  for (const def of SECTION_DEFS) {
    const known = strings.has(def.target === 'none' ? def.prefix : `${def.prefix}+`);
    assert.equal(known, def.newerThanLibbpf === undefined, `${def.prefix}: in libbpf 1.1 = ${known}`);
  }
});

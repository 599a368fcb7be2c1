/**
 * The generated BPF helper catalog (core/src/helpers) and its generator: lookups, the shape of
 * each entry, that the committed files match what the generator makes from the vendored UAPI
 * header (and that header is the one PROVENANCE pins), and that the generator reads both forms
 * of the kernel's helper list. Nothing here reads the machine's own /usr/include: the result
 * must be the same on every machine (issue #9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { all, byId, byName, catalogSource, withPrefix } from '../../core/src/helpers';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const generator = path.join(repoRoot, 'scripts', 'gen-helper-defs.mjs');
const vendoredHeader = 'third_party/linux-uapi/linux/bpf.h';
const provenanceFile = path.join(repoRoot, 'third_party', 'linux-uapi', 'PROVENANCE');

function provenance(): Map<string, string> {
  return new Map(fs.readFileSync(provenanceFile, 'utf8').split('\n')
    .map((line) => /^([\w-]+): (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1]!, match[2]!]));
}

function runGenerator(args: string[]) {
  return spawnSync(process.execPath, [generator, ...args], { cwd: repoRoot, encoding: 'utf8' });
}

void test('bpf_map_lookup_elem is helper 1 with (void *map, const void *key) returning void *', () => {
  const helper = byName('bpf_map_lookup_elem');
  assert.ok(helper);
  assert.equal(helper.id, 1);
  assert.equal(helper.returnType, 'void *');
  assert.deepEqual(helper.args, [{ type: 'void *', name: 'map' }, { type: 'const void *', name: 'key' }]);
  assert.equal(helper.signature, 'void *bpf_map_lookup_elem(void *map, const void *key)');
  assert.match(helper.doc, /lookup/i);
  assert.equal(byId(1), helper);
});

void test('kernel-internal types appear as a program sees them', () => {
  assert.deepEqual(byName('bpf_map_update_elem')?.args.map((a) => a.type), ['void *', 'const void *', 'const void *', '__u64']);
  assert.equal(byName('bpf_skb_load_bytes')?.args[0]?.type, 'const void *');
  assert.equal(byName('bpf_skb_store_bytes')?.args[0]?.type, 'struct __sk_buff *');
  assert.equal(byName('bpf_xdp_adjust_head')?.args[0]?.type, 'struct xdp_md *');
  assert.equal(byName('bpf_get_current_pid_tgid')?.signature, '__u64 bpf_get_current_pid_tgid(void)');
});

void test('helpers documented once per context type take any context', () => {
  const cookie = byName('bpf_get_socket_cookie');
  assert.deepEqual(cookie?.args, [{ type: 'void *', name: 'ctx' }]);
  assert.equal(byName('bpf_sk_assign')?.args[0]?.type, 'void *');
});

void test('bpf_trace_printk is the one variadic helper', () => {
  assert.deepEqual(all().filter((h) => h.variadic).map((h) => h.name), ['bpf_trace_printk']);
  assert.equal(byName('bpf_trace_printk')?.signature, 'long bpf_trace_printk(const char *fmt, __u32 fmt_size, ...)');
});

void test('entries: ids ascend without repeats, names are unique, summaries are one short line', () => {
  const helpers = all();
  assert.ok(helpers.length >= 200, `only ${helpers.length} helpers`);
  for (let i = 1; i < helpers.length; i++) assert.ok(helpers[i]!.id > helpers[i - 1]!.id, `${helpers[i]!.name} out of order`);
  assert.equal(new Set(helpers.map((h) => h.name)).size, helpers.length);
  for (const helper of helpers) {
    assert.match(helper.name, /^bpf_\w+$/);
    assert.ok(helper.doc.length > 0 && helper.doc.length <= 200, `${helper.name}: summary of ${helper.doc.length} chars`);
    assert.doesNotMatch(helper.doc, /\n|\*\*|\\/, `${helper.name}: markup or line break left in "${helper.doc}"`);
    assert.ok(helper.signature.includes(`${helper.name}(`));
  }
  assert.equal(byName('bpf_no_such_helper'), undefined);
  assert.equal(byId(0), undefined);
  assert.ok(withPrefix('bpf_ringbuf_').some((h) => h.name === 'bpf_ringbuf_reserve'));
});

void test('helpers added after Linux 6.1 are in the catalog', () => {
  assert.equal(byName('bpf_user_ringbuf_drain')?.id, 209);
  assert.equal(byName('bpf_cgrp_storage_get')?.id, 210);
  assert.equal(byName('bpf_cgrp_storage_delete')?.signature, 'long bpf_cgrp_storage_delete(void *map, struct cgroup *cgroup)');
});

void test('the catalog names its source by content: the vendored header\'s sha256, no package revision', () => {
  const source = catalogSource();
  assert.equal(source.file, vendoredHeader);
  const bytes = fs.readFileSync(path.join(repoRoot, vendoredHeader));
  assert.equal(source.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(source.generator, 'scripts/gen-helper-defs.mjs');
  assert.deepEqual(Object.keys(source).sort(), ['file', 'generator', 'sha256', 'undocumented']);
});

void test('the vendored header is the one its PROVENANCE pins, with package, suite and licence', () => {
  const fields = provenance();
  const bytes = fs.readFileSync(path.join(repoRoot, vendoredHeader));
  assert.equal(fields.get('sha256'), createHash('sha256').update(bytes).digest('hex'));
  assert.equal(fields.get('file'), 'linux/bpf.h');
  assert.equal(fields.get('package'), 'linux-libc-dev');
  assert.match(fields.get('version') ?? '', /^\d+\.\d+/);
  assert.ok(fields.get('suite'), 'no suite recorded');
  assert.match(fields.get('deb-sha256') ?? '', /^[0-9a-f]{64}$/);
  assert.equal(fields.get('licence'), 'GPL-2.0 WITH Linux-syscall-note');
  assert.match(bytes.toString('utf8', 0, 200), /SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note/);
});

void test('committed helper files are what the generator makes from the vendored header', () => {
  const result = runGenerator(['--check']);
  assert.equal(result.status, 0, `generator --check failed:\n${result.stderr}${result.stdout}`);
});

void test('--check fails when the source header changed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-helpers-'));
  try {
    const changed = path.join(dir, 'bpf.h');
    const original = fs.readFileSync(path.join(repoRoot, vendoredHeader), 'utf8');
    const edited = original.replace('Delete entry with *key* from *map*.', 'Remove the entry for *key*.');
    assert.notEqual(edited, original, 'the sentence this test edits is gone from the header');
    fs.writeFileSync(changed, edited);
    const result = runGenerator(['--check', '--source', changed]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /stale generated files/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

void test('--check fails when the vendored header no longer matches its PROVENANCE', () => {
  // A copy of the repository's generator inputs, so the real vendored header is never touched.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-helpers-'));
  try {
    for (const file of ['scripts/gen-helper-defs.mjs', vendoredHeader, 'third_party/linux-uapi/PROVENANCE',
      'bpf-headers/bpf/bpf_helper_defs.h', 'core/src/helpers/helpers.generated.ts']) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
    }
    const check = () => spawnSync(process.execPath, [path.join(dir, 'scripts/gen-helper-defs.mjs'), '--check'], { cwd: dir, encoding: 'utf8' });
    assert.equal(check().status, 0, check().stderr);
    fs.appendFileSync(path.join(dir, vendoredHeader), '/* edited by hand */\n');
    const result = check();
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /PROVENANCE pins/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

void test('generator reads the id-carrying mapper form and merges overloads', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfdev-helpers-'));
  try {
    // The shape of linux/bpf.h since the mapper started carrying explicit ids.
    const header = [
      '/*',
      ' * Start of BPF helper function descriptions:',
      ' *',
      ' * void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)',
      ' * \tDescription',
      ' * \t\tPerform a lookup in *map*, e.g. by key. More text follows.',
      ' * \tReturn',
      ' * \t\tThe value.',
      ' *',
      ' * u64 bpf_get_socket_cookie(struct sk_buff *skb)',
      ' * \tDescription',
      ' * \t\tGet the cookie of **skb**\\ ().',
      ' * \tReturn',
      ' * \t\tA cookie.',
      ' *',
      ' * u64 bpf_get_socket_cookie(struct bpf_sock_addr *ctx)',
      ' * \tDescription',
      ' * \t\tGet the cookie of *ctx*.',
      ' * \tReturn',
      ' * \t\tA cookie.',
      ' */',
      '#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\',
      '\tFN(unspec, 0, ##ctx)\t\t\\',
      '\tFN(map_lookup_elem, 1, ##ctx)\t\\',
      '\tFN(get_socket_cookie, 46, ##ctx)\t\\',
      '\t/* */',
      '',
    ].join('\n');
    const source = path.join(dir, 'bpf.h');
    fs.writeFileSync(source, header);
    const result = runGenerator(['--source', source, '--out-dir', dir]);
    assert.equal(result.status, 0, result.stderr);
    const defs = fs.readFileSync(path.join(dir, 'bpf_helper_defs.h'), 'utf8');
    assert.match(defs, /^static void \*\(\* const bpf_map_lookup_elem\)\(void \*map, const void \*key\) = \(void \*\) 1;$/m);
    assert.match(defs, /^static __u64 \(\* const bpf_get_socket_cookie\)\(void \*ctx\) = \(void \*\) 46;$/m);
    assert.match(defs, /sha256 [0-9a-f]{64}/);
    const catalog = fs.readFileSync(path.join(dir, 'helpers.generated.ts'), 'utf8');
    assert.match(catalog, /"doc":"Perform a lookup in map, e\.g\. by key\."/);
    assert.match(catalog, /"doc":"Get the cookie of skb\(\)\."/);
    // Deterministic: a second run writes the same bytes.
    runGenerator(['--source', source, '--out-dir', dir]);
    assert.equal(fs.readFileSync(path.join(dir, 'bpf_helper_defs.h'), 'utf8'), defs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

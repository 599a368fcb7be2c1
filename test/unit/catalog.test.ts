import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import {
  buildPrebuiltCatalog, catalogFromPrebuilt, LazyBtfLookup, parseFetchOutput, parseProbe, PREBUILT_FORMAT_VERSION, PrebuiltCatalog,
  SECTION_MARK, validatePrebuiltCatalog,
} from '../../core/src/catalog/kernel-catalog';
import { buildKallsymsIndex } from '../../core/src/kallsyms/index';
import { buildTracepointCatalog } from '../../core/src/tracefs/catalog';
import { parseBtf } from '../../core/src/btf/reader';
import { doComplete } from '../../core/src/language/index';
import { SNAPSHOT_BTF_FILE, SNAPSHOT_CATALOG_FILE } from '../../host/src/catalog/snapshot';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures');
const CAPTURED_KALLSYMS = readFileSync(path.join(FIXTURES, 'kallsyms/kallsyms'), 'utf8');
// Static functions of the same name in different files appear twice; the captured slice has none, so repeat one line.
const KALLSYMS = CAPTURED_KALLSYMS + `${CAPTURED_KALLSYMS.split('\n').find((line) => / t (?!__pfx_)/.test(line))}\n`;
const SNAPSHOT = path.join(ROOT, 'catalog-snapshot');

/** The fetch script's output shape, made by the same `head` invocation over the captured format files. */
function fetchOutputFromFixtures(extraSections = ''): string {
  const formats = execFileSync('sh', ['-c', 'head -n 100000 -- */*/format'], { cwd: path.join(FIXTURES, 'tracefs/events'), encoding: 'utf8' });
  return `${SECTION_MARK}kallsyms\n${KALLSYMS}${SECTION_MARK}kprobes\nno\n${SECTION_MARK}btf\nyes\n${extraSections}${SECTION_MARK}formats\n${formats}`;
}

function roundTrip(prebuilt: PrebuiltCatalog): PrebuiltCatalog {
  const { prebuilt: parsed, error } = validatePrebuiltCatalog(JSON.parse(JSON.stringify(prebuilt)));
  assert.ok(parsed, error);
  return parsed;
}

void test('prebuilt catalog: through JSON and back, the index answers exactly as one built from the text', () => {
  const { inputs, errors } = parseFetchOutput(fetchOutputFromFixtures());
  assert.deepEqual(errors, []);
  const btfFunctions = new Set(['do_unlinkat', 'vfs_read']);
  const catalog = catalogFromPrebuilt(roundTrip(buildPrebuiltCatalog(inputs, btfFunctions)));
  const direct = buildKallsymsIndex(KALLSYMS, { btfFunctions });
  assert.ok(catalog.kallsyms);
  assert.deepEqual(catalog.kallsyms.names, direct.names);
  for (const name of direct.names) assert.deepEqual(catalog.kallsyms.get(name), direct.get(name), name);
  assert.deepEqual(catalog.kallsyms.skipped, direct.skipped);
  assert.equal(catalog.kallsyms.get('do_unlinkat')?.hasBtf, true);
  assert.equal(catalog.kallsyms.get('vfs_write')?.hasBtf, false);
  assert.deepEqual(catalog.capabilities, { kprobes: false, btf: true });
  // Module symbols and names kallsyms lists twice survive the trip.
  assert.ok(direct.names.some((name) => direct.get(name)?.module), 'the fixture has module symbols');
  assert.ok(direct.names.some((name) => (direct.get(name)?.count ?? 0) > 1), 'a name listed twice');

  const openat = catalog.tracepoints?.get('syscalls', 'sys_enter_openat')?.format;
  assert.ok(openat);
  assert.ok(openat.fields.some((field) => field.name === 'filename'));
  assert.deepEqual(catalog.tracepoints?.errors, []);
});

void test('tracepoint formats are parsed on first use, once', () => {
  const { inputs } = parseFetchOutput(fetchOutputFromFixtures());
  const entries = [...inputs.formats].map(([key, formatText]) => ({ category: key.split('/')[0], event: key.split('/')[1], formatText }));
  const catalog = buildTracepointCatalog(entries);
  const info = catalog.get('sched', 'sched_switch');
  assert.ok(info);
  const first = info.format;
  assert.ok(first);
  assert.equal(info.format, first, 'the second access returns the same parsed object');
  const garbage = buildTracepointCatalog([{ category: 'x', event: 'y', formatText: 'garbage\n\x00\n' }]);
  assert.equal(garbage.get('x', 'y')?.format, undefined);
  assert.equal(garbage.errors.length, 1);
});

void test('validatePrebuiltCatalog: stale, truncated and foreign input are refused with a reason, never thrown', () => {
  const { inputs } = parseFetchOutput(fetchOutputFromFixtures());
  const good = JSON.parse(JSON.stringify(buildPrebuiltCatalog(inputs, undefined))) as Record<string, unknown>;
  assert.match(validatePrebuiltCatalog({ ...good, version: PREBUILT_FORMAT_VERSION - 1 }).error ?? '', /format version/);
  assert.match(validatePrebuiltCatalog({ ...good, kallsyms: { ...(good.kallsyms as object), flags: 'A' } }).error ?? '', /flags/);
  assert.match(validatePrebuiltCatalog({ ...good, tracepoints: [['a', 'b']] }).error ?? '', /tracepoints/);
  const kallsyms = good.kallsyms as Record<string, unknown>;
  assert.match(validatePrebuiltCatalog({ ...good, kallsyms: { ...kallsyms, moduleOf: [0, 9999] } }).error ?? '', /moduleOf/);
  for (const value of [null, 1, 'x', [], {}, { format: 'bpfdev-kernel-catalog' }, { ...good, kallsyms: null }]) {
    assert.ok(validatePrebuiltCatalog(value).error, JSON.stringify(value)?.slice(0, 40));
  }
  const text = JSON.stringify(good);
  for (let cut = 0; cut < text.length; cut += Math.ceil(text.length / 50)) {
    let value: unknown;
    try { value = JSON.parse(text.slice(0, cut)); } catch { continue; }
    assert.ok(validatePrebuiltCatalog(value).error);
  }
});

void test('parseFetchOutput: the loader probe decides capabilities; a broken probe is an error, not a crash', () => {
  const broken = parseFetchOutput(fetchOutputFromFixtures(`${SECTION_MARK}probe\nlibbpf: failed to do something\n`));
  assert.equal(broken.inputs.capabilities.fentry, undefined);
  assert.match(broken.errors[0], /printed no event/);
  assert.deepEqual(parseProbe('\x1e{"event":"probe","kprobes":"yes"'), { error: parseProbe('\x1e{"event":"probe","kprobes":"yes"').error });
  assert.match(parseProbe('\x1e{not json}').error ?? '', /malformed/);
  assert.match(parseProbe('\x1e{"event":"ready"}').error ?? '', /no probe event/);
  // Wrongly typed fields are ignored rather than trusted.
  assert.deepEqual(parseProbe('\x1e{"event":"probe","kprobes":"yes","fentry":false,"libbpf":1}'), { fentry: false });
  assert.deepEqual(parseProbe(undefined), {});
  // Without root the trial fentry load fails on any kernel, so it says nothing.
  assert.deepEqual(parseProbe('\x1e{"event":"probe","kprobes":false,"fentry":false,"euid":1000}'), { kprobes: false });
});

void test('LazyBtfLookup parses on the first question only, and reports a broken blob', () => {
  let parses = 0;
  const broken = new LazyBtfLookup(() => { parses++; return parseBtf(new Uint8Array([1, 2, 3])); });
  assert.equal(broken.loaded, false);
  assert.equal(broken.funcPrototype('vfs_read'), undefined);
  assert.equal(broken.structMembers('file'), undefined);
  assert.equal(parses, 1);
  assert.equal(broken.loaded, true);
  assert.match(broken.errors[0], /BTF/);
});

void test('the bundled snapshot: current format version, provenance, under 3 MB, and it answers', { timeout: 60_000 }, () => {
  const files = [SNAPSHOT_CATALOG_FILE, SNAPSHOT_BTF_FILE].map((name) => path.join(SNAPSHOT, name));
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  assert.ok(bytes < 3 * 1024 * 1024, `${bytes} bytes`);
  // A failure here after changing the catalog format means: re-run scripts/gen-catalog-snapshot.mjs.
  const { prebuilt, error } = validatePrebuiltCatalog(JSON.parse(brotliDecompressSync(readFileSync(files[0])).toString('utf8')));
  assert.ok(prebuilt, error);
  for (const key of ['kernel', 'arch', 'capturedAt', 'inputsSha256', 'btfSha256']) assert.ok(prebuilt.provenance[key], `provenance.${key}`);
  assert.match(readFileSync(path.join(SNAPSHOT, 'README.md'), 'utf8'), new RegExp(prebuilt.provenance.inputsSha256));
  const btf = parseBtf(brotliDecompressSync(readFileSync(files[1])));
  assert.deepEqual(btf.errors, []);
  const catalog = catalogFromPrebuilt(prebuilt, LazyBtfLookup.of(btf.btf!));
  assert.ok((catalog.kallsyms?.size ?? 0) > 10_000);
  assert.ok((catalog.tracepoints?.size ?? 0) > 500);
  const text = 'SEC("tracepoint/syscalls/sys_enter_op")';
  assert.ok(doComplete(text, text.length - 2, catalog).items.some((item) => item.label === 'sys_enter_openat'));
  assert.ok(catalog.btf?.funcPrototype('vfs_read')?.args.length);
});

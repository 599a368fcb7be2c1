/**
 * Tracepoints rebuilt from BTF + kallsyms (what a non-root user can read) against the ones
 * tracefs describes, both captured from the same kernel (test/fixtures/btf-tracepoints, see its
 * PROVENANCE.md). The reference that lends categories and syscall arguments is the bundled
 * snapshot of another build, as in production. Prints the match rates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { parseBtf } from '../../core/src/btf/reader';
import { catalogFromPrebuilt, parseFetchOutput, SECTION_MARK, validatePrebuiltCatalog } from '../../core/src/catalog/kernel-catalog';
import { BtfTracepoint, tracepointsFromBtf, TracepointReference } from '../../core/src/tracefs/btf-tracepoints';
import { buildTracepointCatalog } from '../../core/src/tracefs/catalog';
import { parseFormatFile, TracepointField } from '../../core/src/tracefs/format';
import { doValidate } from '../../core/src/language/index';

const repo = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(repo, 'test', 'fixtures', 'btf-tracepoints');
const btf = parseBtf(brotliDecompressSync(fs.readFileSync(path.join(fixtures, 'vmlinux.btf.br')))).btf!;
const kallsyms = fs.readFileSync(path.join(fixtures, 'kallsyms'), 'utf8');
const formats = parseFetchOutput(`${SECTION_MARK}formats\n${brotliDecompressSync(fs.readFileSync(path.join(fixtures, 'formats.br'))).toString('utf8')}`).inputs.formats;
const snapshot = validatePrebuiltCatalog(JSON.parse(brotliDecompressSync(fs.readFileSync(path.join(repo, 'catalog-snapshot', 'kernel-catalog.json.br'))).toString('utf8'))).prebuilt!;
const reference: TracepointReference = { name: 'the bundled snapshot', tracepoints: catalogFromPrebuilt(snapshot).tracepoints! };

const key = (field: TracepointField) => `${field.name}@${field.offset}:${field.size}:${field.signed ? 's' : 'u'}`;
const percent = (part: number, whole: number) => `${part}/${whole} (${((100 * part) / whole).toFixed(1)}%)`;

function compare(entries: BtfTracepoint[]) {
  const rebuilt = new Map(entries.map((entry) => [entry.event, entry]));
  let found = 0; let categories = 0; let layouts = 0; let exactLayouts = 0; let fields = 0; let sameType = 0;
  for (const [name, text] of formats) {
    const [category, event] = name.split('/');
    const entry = rebuilt.get(event);
    if (!entry) continue;
    found++;
    if (entry.category === category) categories++;
    const truth = parseFormatFile(text).event;
    if (!truth || !entry.format) continue;
    layouts++;
    if (truth.fields.map(key).join() === entry.format.fields.map(key).join()) exactLayouts++;
    for (const field of truth.fields) {
      const mine = entry.format.fields.find((candidate) => candidate.name === field.name);
      if (!mine) continue;
      fields++;
      if (mine.type === field.type && mine.arrayLength === field.arrayLength) sameType++;
    }
  }
  const extra = entries.filter((entry) => !formats.has(`${entry.category}/${entry.event}`)).length;
  return { total: formats.size, found, categories, layouts, exactLayouts, fields, sameType, extra };
}

void test('BTF + kallsyms rebuild this kernel\'s tracepoints: names, categories, layouts as tracefs has them', (t) => {
  const result = tracepointsFromBtf(btf, kallsyms, reference);
  const stats = compare(result.entries);
  t.diagnostic(`names ${percent(stats.found, stats.total)}, categories ${percent(stats.categories, stats.found)}, ` +
    `layouts (every field's name, offset, size, signedness) ${percent(stats.exactLayouts, stats.layouts)}, ` +
    `field types spelled alike ${percent(stats.sameType, stats.fields)}, ${stats.extra} not in tracefs under that category`);
  assert.deepEqual(result.errors, []);
  // What tracefs has and BTF cannot: ftrace's own events (no BPF attach either).
  const missing = [...formats.keys()].filter((name) => !result.entries.some((entry) => `${entry.category}/${entry.event}` === name));
  assert.ok(missing.every((name) => name.startsWith('ftrace/')), missing.filter((name) => !name.startsWith('ftrace/')).join(' '));
  assert.ok(stats.categories / stats.found >= 0.99);
  assert.ok(stats.exactLayouts / stats.layouts >= 0.97);
  assert.ok(stats.sameType / stats.fields >= 0.95);
  assert.equal(stats.extra, 0);
  // Bare DECLARE_TRACE tracepoints are raw_tp targets, not tracefs events.
  assert.ok(result.bare.length > 0 && result.bare.every((name) => !result.entries.some((entry) => entry.event === name)));
});

void test('without a reference, categories are guesses and syscalls include stubs: the rates say how far off', (t) => {
  const stats = compare(tracepointsFromBtf(btf, kallsyms).entries);
  t.diagnostic(`names ${percent(stats.found, stats.total)}, categories ${percent(stats.categories, stats.found)}, ` +
    `layouts ${percent(stats.exactLayouts, stats.layouts)}, ${stats.extra} not in tracefs under that category`);
  assert.ok(stats.found / stats.total >= 0.99);
});

void test('sched_switch: layout from its own class struct, marked as from BTF', () => {
  const entry = tracepointsFromBtf(btf, kallsyms, reference).entries.find((candidate) => candidate.event === 'sched_switch')!;
  assert.equal(entry.category, 'sched');
  assert.equal(entry.layoutSource, 'own-class');
  const truth = parseFormatFile(formats.get('sched/sched_switch')!).event!;
  assert.deepEqual(entry.format?.fields.map(key), truth.fields.map(key));
  assert.match(entry.format?.derivedFrom ?? '', /BTF struct trace_event_raw_sched_switch/);
  assert.equal(entry.format?.id, undefined);
});

void test('a catalog rebuilt from BTF reports unknown tracepoints as information, never as errors', () => {
  const derived = tracepointsFromBtf(btf, kallsyms, reference);
  const tracepoints = buildTracepointCatalog(derived.entries);
  const diagnostics = doValidate('SEC("tracepoint/sched/sched_swich")\nint f(void *ctx) { return 0; }\n', { tracepoints, tracepointsPartial: derived.summary });
  const unknown = diagnostics.find((diagnostic) => diagnostic.code === 'unknown-tracepoint');
  assert.equal(unknown?.severity, 'information');
  assert.match(unknown?.message ?? '', /may still exist/);
  const complete = doValidate('SEC("tracepoint/sched/sched_swich")\nint f(void *ctx) { return 0; }\n', { tracepoints });
  assert.equal(complete.find((diagnostic) => diagnostic.code === 'unknown-tracepoint')?.severity, 'error');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { eventFields, fieldDeclaration, parseAvailableEvents, parseFormatFile, TracepointFormat } from '../../core/src/tracefs/format';
import { buildTracepointCatalog, TracepointCatalogEntry } from '../../core/src/tracefs/catalog';
import { tracepointCtxStruct } from '../../core/src/tracefs/ctx-struct';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/tracefs');

/** Every captured events/<category>/<event>/format, as catalog entries. */
function fixtureEntries(): TracepointCatalogEntry[] {
  const entries: TracepointCatalogEntry[] = [];
  for (const category of readdirSync(path.join(FIXTURES, 'events')).sort()) {
    for (const event of readdirSync(path.join(FIXTURES, 'events', category)).sort()) {
      entries.push({ category, event, formatText: readFileSync(path.join(FIXTURES, 'events', category, event, 'format'), 'utf8') });
    }
  }
  return entries;
}

function fixtureFormat(category: string, event: string): TracepointFormat {
  const text = readFileSync(path.join(FIXTURES, 'events', category, event, 'format'), 'utf8');
  const { event: format, errors } = parseFormatFile(text);
  assert.deepEqual(errors, []);
  assert.ok(format);
  return format;
}

void test('every captured format file parses without errors, fields back-to-back with the raw text', () => {
  const entries = fixtureEntries();
  assert.ok(entries.length >= 30, `expected >= 30 fixtures, got ${entries.length}`);
  for (const entry of entries) {
    const { event, errors } = parseFormatFile(entry.formatText ?? '');
    assert.deepEqual(errors, [], `${entry.category}/${entry.event}`);
    assert.ok(event, `${entry.category}/${entry.event}`);
    assert.equal(event.name, entry.event);
    // Independent count: one `field:` line per field in the raw text.
    const fieldLines = (entry.formatText ?? '').split('\n').filter((line) => line.trim().startsWith('field:'));
    assert.equal(event.fields.length, fieldLines.length, `${entry.category}/${entry.event}`);
    // Every record starts with the common header.
    assert.deepEqual(
      event.fields.filter((field) => field.common).map((field) => field.name),
      ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'],
    );
    assert.ok(event.printFmt && event.printFmt.length > 0);
  }
});

void test('sys_enter_openat: ID, offsets, sizes, signedness and the printed types', () => {
  const format = fixtureFormat('syscalls', 'sys_enter_openat');
  const raw = readFileSync(path.join(FIXTURES, 'events/syscalls/sys_enter_openat/format'), 'utf8');
  assert.equal(format.id, Number(/^ID: (\d+)$/m.exec(raw)?.[1]));
  const fields = eventFields(format);
  assert.deepEqual(
    fields.map((field) => [fieldDeclaration(field), field.offset, field.size, field.signed]),
    [
      ['int __syscall_nr', 8, 4, true],
      ['int dfd', 16, 8, false],
      ['const char *filename', 24, 8, false],
      ['int flags', 32, 8, false],
      ['umode_t mode', 40, 8, false],
    ],
  );
  assert.match(format.printFmt ?? '', /^"dfd: 0x%08lx/);
});

void test('__data_loc fields carry their element type; fixed and flexible arrays their length', () => {
  const exec = fixtureFormat('sched', 'sched_process_exec');
  const filename = exec.fields.find((field) => field.name === 'filename');
  assert.deepEqual(filename?.dynamic, { kind: 'data_loc', elementType: 'char', isArray: true });
  assert.equal(filename?.size, 4);

  const cpumask = fixtureFormat('ipi', 'ipi_send_cpumask').fields.find((field) => field.name === 'cpumask');
  assert.deepEqual(cpumask?.dynamic, { kind: 'data_loc', elementType: 'cpumask_t', isArray: false });

  const caller = fixtureFormat('ftrace', 'kernel_stack').fields.find((field) => field.name === 'caller');
  assert.equal(caller?.type, 'unsigned long');
  assert.equal(caller?.arrayLength, 8);
  assert.equal(caller?.size, 64);

  const args = fixtureFormat('ftrace', 'function').fields.find((field) => field.name === 'args');
  assert.equal(args?.arrayLength, 0);
  assert.equal(args?.size, 0);

  const prevComm = fixtureFormat('sched', 'sched_switch').fields.find((field) => field.name === 'prev_comm');
  assert.equal(prevComm?.type, 'char');
  assert.equal(prevComm?.arrayLength, 16);
});

void test('header_page (real, format-like, no name/ID) is rejected with errors, not an exception', () => {
  const result = parseFormatFile(readFileSync(path.join(FIXTURES, 'header_page'), 'utf8'));
  assert.equal(result.event, undefined);
  assert.ok(result.errors.some((error) => error.message.includes('name')));
});

void test('malformed format files return errors and never throw', () => {
  const openat = readFileSync(path.join(FIXTURES, 'events/syscalls/sys_enter_openat/format'), 'utf8');
  const cases: [string, string, RegExp][] = [
    ['empty', '', /missing "name:"/],
    ['bad ID', openat.replace(/^ID: \d+/m, 'ID: seven'), /ID is not a number/],
    ['field without offset', openat.replace('offset:16;', ''), /without offset or size/],
    ['unknown attribute', openat.replace('signed:1;', 'signed:yes;'), /unrecognized field attribute/],
    ['no name in declaration', openat.replace('field:int dfd;', 'field:;'), /cannot split field declaration/],
    ['stray line', openat.replace('format:', 'format:\nthis is not a field'), /unrecognized line/],
  ];
  for (const [label, text, expected] of cases) {
    const result = parseFormatFile(text);
    assert.ok(result.errors.some((error) => expected.test(error.message)), `${label}: ${JSON.stringify(result.errors)}`);
  }
  // Every truncation of a real file, and binary noise.
  for (let cut = 0; cut < openat.length; cut += 7) parseFormatFile(openat.slice(0, cut));
  parseFormatFile(String.fromCharCode(...Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256)));
});

void test('catalog: categories, events, prefix lookups and raw tracepoint names', () => {
  const catalog = buildTracepointCatalog(fixtureEntries());
  assert.deepEqual(catalog.errors, []);
  assert.ok(catalog.hasCategory('syscalls'));
  assert.ok(catalog.categoriesWithPrefix('sc').includes('sched'));
  assert.deepEqual(catalog.eventsWithPrefix('syscalls', 'sys_enter_open'), ['sys_enter_open', 'sys_enter_openat', 'sys_enter_openat2']);
  assert.equal(catalog.get('sched', 'sched_switch')?.format?.name, 'sched_switch');
  assert.equal(catalog.get('sched', 'nope'), undefined);
  assert.deepEqual(catalog.events('nope'), []);
  assert.deepEqual(catalog.findByEventName('sys_enter').map((info) => info.category), ['raw_syscalls']);
  const sorted = [...catalog.categories()].sort();
  assert.deepEqual(catalog.categories(), sorted);
});

void test('catalog from the real available_events: every event known, formats optional', () => {
  const { entries, errors } = parseAvailableEvents(readFileSync(path.join(FIXTURES, 'available_events'), 'utf8'));
  assert.deepEqual(errors, []);
  const lineCount = readFileSync(path.join(FIXTURES, 'available_events'), 'utf8').trim().split('\n').length;
  assert.equal(entries.length, lineCount);
  const catalog = buildTracepointCatalog(entries);
  assert.equal(catalog.size, lineCount);
  const openat = catalog.get('syscalls', 'sys_enter_openat');
  assert.ok(openat);
  assert.equal(openat.format, undefined);
  assert.ok(parseAvailableEvents('sched\nsched:a:b\n').errors.length === 2);
});

void test('ctx structs compile with the kernel-printed offset of every field (clang, -target bpf)', (t) => {
  if (spawnSync('clang', ['--version']).status !== 0) {
    t.skip('clang not installed');
    return;
  }
  const directory = mkdtempSync(path.join(tmpdir(), 'ctx-struct-'));
  try {
    const lines = ['typedef unsigned char __u8; typedef signed char __s8; typedef unsigned short __u16; typedef short __s16;',
      'typedef unsigned int __u32; typedef int __s32; typedef unsigned long long __u64; typedef long long __s64;'];
    for (const entry of fixtureEntries()) {
      const format = parseFormatFile(entry.formatText ?? '').event;
      assert.ok(format);
      const structName = `${entry.category}__${entry.event}`;
      lines.push(tracepointCtxStruct(format, { structName, category: entry.category }));
      for (const field of format.fields) {
        lines.push(`_Static_assert(__builtin_offsetof(struct ${structName}, ${field.name}) == ${field.offset}, "${structName}.${field.name} offset");`);
        if (field.size > 0) lines.push(`_Static_assert(sizeof(((struct ${structName} *)0)->${field.name}) == ${field.size}, "${structName}.${field.name} size");`);
      }
    }
    const source = path.join(directory, 'ctx.c');
    writeFileSync(source, lines.join('\n') + '\n');
    execFileSync('clang', ['-target', 'bpf', '-fsyntax-only', '-Wall', '-Werror', source], { stdio: 'pipe' });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

void test('ctx struct text: syscall records widen to the printed size, pointers and strings stay readable', () => {
  const openat = tracepointCtxStruct(fixtureFormat('syscalls', 'sys_enter_openat'), { category: 'syscalls' });
  assert.match(openat, /^struct sys_enter_openat_ctx \{$/m);
  assert.match(openat, /\t__u64 dfd; \/\* int \*\//);
  assert.match(openat, /\tconst char \*filename;/);
  assert.match(openat, /\t__u8 __pad_12\[4\];/);

  const exec = tracepointCtxStruct(fixtureFormat('sched', 'sched_process_exec'), { commonHeader: 'trace_entry' });
  assert.match(exec, /\tstruct trace_entry ent;\n\t__u32 filename; \/\* __data_loc char\[\]/);
  assert.doesNotMatch(exec, /common_pid/);
});

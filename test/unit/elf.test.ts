import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeUtf8, parseElf, uprobeTargets } from '../../core/src/elf/reader';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/elf');
const FILES = ['usdt-sample', 'usdt-sample-i386.o', 'usdt-sample-ppc32be.o', 'usdt-sample-s390x.o'];

function bytesOf(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, name)));
}

/** `readelf -SW` rows: index, name, address, offset, size. */
function readelfSections(name: string): { name: string; address: number; offset: number; size: number }[] {
  const rows: { name: string; address: number; offset: number; size: number }[] = [];
  for (const line of readFileSync(path.join(FIXTURES, `${name}.readelf-sections`), 'utf8').split('\n')) {
    // Names longer than readelf's column push the rest right, so split lazily on the type column.
    const match = /^\s*\[\s*(\d+)\]\s(.*?)\s+([A-Z][A-Za-z0-9_+]*)\s+([0-9a-f]{8,16})\s+([0-9a-f]{6,})\s+([0-9a-f]{6,})/.exec(line);
    if (!match) continue;
    rows[Number(match[1])] = { name: match[2].trim(), address: parseInt(match[4], 16), offset: parseInt(match[5], 16), size: parseInt(match[6], 16) };
  }
  return rows;
}

/** Defined FUNC/IFUNC rows of `readelf -sW --dyn-syms`, tagged with their table. */
function readelfFunctions(name: string): { table: string; name: string; address: number; size: number; section: number }[] {
  const rows: { table: string; name: string; address: number; size: number; section: number }[] = [];
  let table = '';
  for (const line of readFileSync(path.join(FIXTURES, `${name}.readelf-syms`), 'utf8').split('\n')) {
    const header = /^Symbol table '([^']+)'/.exec(line);
    if (header) {
      table = header[1];
      continue;
    }
    const match = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+\w+\s+\w+\s+(\w+)\s+(\S+)/.exec(line);
    if (!match || !['FUNC', 'IFUNC'].includes(match[3]) || match[4] === 'UND') continue;
    rows.push({ table, name: match[5], address: parseInt(match[1], 16), size: Number(match[2]), section: Number(match[4]) });
  }
  return rows;
}

/** stapsdt entries of `readelf -nW`. */
function readelfProbes(name: string): { provider: string; name: string; pc: number; base: number; semaphore: number; args: string }[] {
  const text = readFileSync(path.join(FIXTURES, `${name}.readelf-notes`), 'utf8');
  const probes = [];
  const pattern = /Provider: (\S+)\n\s+Name: (\S+)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments: ?(.*)/g;
  for (const match of text.matchAll(pattern)) {
    probes.push({
      provider: match[1],
      name: match[2],
      pc: parseInt(match[3], 16),
      base: parseInt(match[4], 16),
      semaphore: parseInt(match[5], 16),
      args: match[6].trimEnd(),
    });
  }
  return probes;
}

for (const file of FILES) {
  void test(`${file}: sections, function symbols and USDT notes match readelf`, () => {
    const { elf, errors } = parseElf(bytesOf(file));
    assert.deepEqual(errors, []);
    assert.ok(elf);
    const expectedClass = readFileSync(path.join(FIXTURES, `${file}.readelf-syms`), 'utf8').includes('0000000000000000') ? 64 : 32;
    assert.equal(elf.class, expectedClass);
    assert.equal(elf.littleEndian, !/ppc32be|s390x/.test(file));

    const sections = readelfSections(file);
    assert.deepEqual(
      elf.sections.map((section) => ({ name: section.name, address: section.address, offset: section.offset, size: section.size })),
      sections,
    );

    const expectedFunctions = readelfFunctions(file);
    assert.ok(expectedFunctions.some((symbol) => symbol.name === 'bpfdev_fixture_work'));
    assert.deepEqual(
      elf.functions.map((symbol) => ({ table: symbol.table, name: symbol.name, address: symbol.address, size: symbol.size })),
      expectedFunctions.map(({ table, name, address, size }) => ({ table, name, address, size })),
    );
    // The uprobe offset is the symbol's place in the file, derived here from readelf's section table.
    for (const expected of expectedFunctions) {
      const home = sections[expected.section];
      const actual: { fileOffset?: number } | undefined = elf.functions.find((symbol) => symbol.name === expected.name && symbol.table === expected.table);
      assert.equal(actual?.fileOffset, expected.address - home.address + home.offset, expected.name);
    }

    const probes = readelfProbes(file);
    assert.equal(probes.length, 2);
    // readelf shows a relocatable object's notes with relocations applied; we report what the
    // file stores (uprobes only ever target linked executables and libraries, ET_EXEC/ET_DYN).
    const relocatable = elf.type === 1;
    const comparable = (probe: { provider: string; name: string; args: string; pc: number; base: number; semaphore: number }) =>
      relocatable ? { provider: probe.provider, name: probe.name, args: probe.args } : probe;
    assert.deepEqual(
      elf.usdtProbes.map(({ provider, name, pc, base, semaphore, args }) => comparable({ provider, name, pc, base, semaphore, args })),
      probes.map(comparable),
    );
  });
}

void test('uprobe targets are unique and sorted', () => {
  const { elf } = parseElf(bytesOf('usdt-sample'));
  assert.ok(elf);
  const targets = uprobeTargets(elf);
  assert.ok(targets.includes('main') && targets.includes('bpfdev_fixture_work'));
  assert.deepEqual(targets, [...new Set(targets)].sort());
});

void test('/bin/true parses without errors when present', (t) => {
  if (!existsSync('/bin/true')) {
    t.skip('no /bin/true');
    return;
  }
  const { elf, errors } = parseElf(new Uint8Array(readFileSync('/bin/true')));
  assert.deepEqual(errors, []);
  assert.ok(elf && elf.sections.some((section) => section.name === '.dynsym'));
});

void test('garbage and damaged ELF files return errors and never throw', () => {
  assert.match(parseElf(new Uint8Array(0)).errors[0].message, /bad magic/);
  assert.match(parseElf(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 9, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])).errors[0].message, /class/);
  const original = bytesOf('usdt-sample');

  const truncatedHeader = original.slice(0, 40);
  assert.match(parseElf(truncatedHeader).errors[0].message, /truncated ELF header/);

  const hugeTable = original.slice();
  new DataView(hugeTable.buffer).setUint16(60, 0xfeff, true); // e_shnum
  assert.match(parseElf(hugeTable).errors[0].message, /outside the file/);

  // Every truncation point, and deterministic byte corruption everywhere.
  for (let cut = 0; cut < original.length; cut += 61) parseElf(original.slice(0, cut));
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (const file of FILES) {
    const source = bytesOf(file);
    for (let round = 0; round < 300; round++) {
      const damaged = source.slice();
      for (let flip = 0; flip < 8; flip++) damaged[random() % damaged.length] = random() & 0xff;
      const result = parseElf(damaged);
      assert.ok(result.elf || result.errors.length > 0);
    }
  }
  const noise = new Uint8Array(8192).map(() => random() & 0xff);
  noise.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
  parseElf(noise);
});

void test('UTF-8 decoding without TextDecoder', () => {
  const encoded = new Uint8Array(Buffer.from('probe·ü→𝄞', 'utf8'));
  assert.equal(decodeUtf8(encoded), 'probe·ü→𝄞');
  // Invalid input is replaced byte by byte: 0xff, then an above-U+10FFFF sequence (4 bytes),
  // then an encoded surrogate (3 bytes).
  assert.equal(decodeUtf8(new Uint8Array([0x61, 0xff, 0x62, 0xf4, 0x90, 0x80, 0x80, 0xed, 0xa0, 0x80])), 'a\ufffdb' + '\ufffd'.repeat(7));
});

/**
 * The .BTF.ext line-info reader (core/src/btf/line-info.ts) on blobs laid out as the BTF spec
 * describes them, in both byte orders, and on every truncation and corruption of them: objects
 * come from users' builds, so bad bytes must give errors, never exceptions. Real clang objects
 * are covered by test/kernel/cli-verify-many.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLineInfo } from '../../core/src/btf/line-info';

interface Block { section: string; records: { file: string; line: number }[] }

/** A .BTF with only a string table, and a .BTF.ext with only line info, per the format. */
function blobs(blocks: Block[], littleEndian = true, recordSize = 16): { btf: Uint8Array; ext: Uint8Array } {
  const strings = ['', ...new Set(blocks.flatMap((block) => [block.section, ...block.records.map((record) => record.file)]))];
  const offsets = new Map<string, number>();
  let stringBytes = 0;
  for (const text of strings) { offsets.set(text, stringBytes); stringBytes += Buffer.byteLength(text) + 1; }
  const btf = new DataView(new ArrayBuffer(24 + stringBytes));
  btf.setUint16(0, 0xeb9f, littleEndian);
  btf.setUint8(2, 1);
  btf.setUint32(4, 24, littleEndian);
  btf.setUint32(16, 0, littleEndian);
  btf.setUint32(20, stringBytes, littleEndian);
  for (const text of strings) Buffer.from(btf.buffer).write(text, 24 + offsets.get(text)!);

  const lineBytes = 4 + blocks.reduce((sum, block) => sum + 8 + block.records.length * recordSize, 0);
  const ext = new DataView(new ArrayBuffer(32 + lineBytes));
  ext.setUint16(0, 0xeb9f, littleEndian);
  ext.setUint8(2, 1);
  ext.setUint32(4, 32, littleEndian);
  ext.setUint32(16, 0, littleEndian);
  ext.setUint32(20, lineBytes, littleEndian);
  let at = 32;
  ext.setUint32(at, recordSize, littleEndian);
  at += 4;
  for (const block of blocks) {
    ext.setUint32(at, offsets.get(block.section)!, littleEndian);
    ext.setUint32(at + 4, block.records.length, littleEndian);
    at += 8;
    block.records.forEach((record, index) => {
      ext.setUint32(at, index * 8, littleEndian);
      ext.setUint32(at + 4, offsets.get(record.file)!, littleEndian);
      ext.setUint32(at + 12, record.line << 10, littleEndian);
      at += recordSize;
    });
  }
  return { btf: new Uint8Array(btf.buffer), ext: new Uint8Array(ext.buffer) };
}

const BLOCKS: Block[] = [
  { section: 'tracepoint/syscalls/sys_enter_openat', records: [
    { file: '/src/prog.bpf.c', line: 10 }, { file: '/src/helpers.h', line: 3 }, { file: '/src/prog.bpf.c', line: 12 },
  ] },
  { section: 'xdp', records: [{ file: '/src/other.bpf.c', line: 5 }] },
];

test('line info names each section\'s files, its first one first, in either byte order', () => {
  for (const littleEndian of [true, false]) {
    const { btf, ext } = blobs(BLOCKS, littleEndian);
    const info = parseLineInfo(btf, ext);
    assert.deepEqual(info.errors, []);
    assert.deepEqual(info.sections, [
      { section: 'tracepoint/syscalls/sys_enter_openat', firstFile: '/src/prog.bpf.c', files: ['/src/prog.bpf.c', '/src/helpers.h'] },
      { section: 'xdp', firstFile: '/src/other.bpf.c', files: ['/src/other.bpf.c'] },
    ]);
    assert.deepEqual(info.files, ['/src/prog.bpf.c', '/src/helpers.h', '/src/other.bpf.c']);
  }
});

test('records larger than the 16 bytes known today are stepped over by their declared size', () => {
  const { btf, ext } = blobs(BLOCKS, true, 24);
  assert.deepEqual(parseLineInfo(btf, ext).files, ['/src/prog.bpf.c', '/src/helpers.h', '/src/other.bpf.c']);
});

test('every truncation and every corrupted byte gives data or errors, never an exception', () => {
  const { btf, ext } = blobs(BLOCKS);
  for (let length = 0; length < ext.length; length++) {
    const info = parseLineInfo(btf, ext.subarray(0, length));
    assert.ok(Array.isArray(info.errors) && Array.isArray(info.sections));
  }
  for (let length = 0; length < btf.length; length++) parseLineInfo(btf.subarray(0, length), ext);
  for (let index = 0; index < ext.length; index++) {
    for (const value of [0x00, 0xff, 0x7f]) {
      const corrupt = ext.slice();
      corrupt[index] = value;
      parseLineInfo(btf, corrupt);
      const corruptBtf = btf.slice();
      if (index < corruptBtf.length) corruptBtf[index] = value;
      parseLineInfo(corruptBtf, ext);
    }
  }
  assert.match(parseLineInfo(btf, ext.subarray(0, 30)).errors.join(), /line info runs past its end/);
});

/**
 * BTF records `enum x;` (a declaration without values) as an ENUM of vlen 0; Debian's 6.1, 5.10
 * and 6.12 kernels have some. C has no empty enum body, so the header must declare it instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBtf } from '../../core/src/btf/reader';
import { generateVmlinuxH } from '../../core/src/btf/c-header';

/** A BTF blob with: [1] int, [2] ENUM 'nf_nat_manip_type' vlen=0 size 4, [3] STRUCT 's' { int a; }. */
function blobWithEmptyEnum(): Uint8Array {
  const strings = '\0int\0nf_nat_manip_type\0s\0a\0';
  const offset = (name: string) => strings.indexOf(`\0${name}\0`) + 1;
  const words = [
    offset('int'), (1 << 24) | 0, 4, (1 << 24) | 32, // INT, 32 bits, signed
    offset('nf_nat_manip_type'), (6 << 24) | 0, 4, // ENUM, vlen 0
    offset('s'), (4 << 24) | 1, 4, offset('a'), 1, 0, // STRUCT with one member
  ];
  const typeBytes = words.length * 4;
  const header = 24;
  const bytes = new Uint8Array(header + typeBytes + strings.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xeb9f, true);
  view.setUint8(2, 1);
  view.setUint32(4, header, true);
  view.setUint32(8, 0, true);
  view.setUint32(12, typeBytes, true);
  view.setUint32(16, typeBytes, true);
  view.setUint32(20, strings.length, true);
  words.forEach((word, index) => view.setUint32(header + index * 4, word, true));
  for (let i = 0; i < strings.length; i++) bytes[header + typeBytes + i] = strings.charCodeAt(i);
  return bytes;
}

test('an enum without values is declared, not defined with an empty body', () => {
  const { btf, errors } = parseBtf(blobWithEmptyEnum());
  assert.deepEqual(errors, []);
  const header = generateVmlinuxH(btf!);
  assert.match(header, /^enum nf_nat_manip_type;$/m);
  assert.doesNotMatch(header, /enum nf_nat_manip_type \{/);
  assert.match(header, /struct s \{\s*int a;\s*\}/);
});
